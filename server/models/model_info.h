#ifndef GLOSSA_SERVER_MODELS_MODEL_INFO_H_
#define GLOSSA_SERVER_MODELS_MODEL_INFO_H_

#include <string>

#include "glossa/v1/glossa.pb.h"
#include "model/decoding/decoding_options.h"
#include "model/io/config.h"
#include "model/tokenizer/tokenizer.h"
#include "model/transformer/model.h"
#include "server/requests/request_validator.h"
#include "server/scheduling/scheduler.h"

namespace glossa::server {

// The version reported by GetModelInfo and glossa_build_info.
const char* ServerVersion();

// What GetModelInfo answers for a served model.
v1::ModelInfo DescribeModel(const std::string& name,
                            const model::ModelConfig& config,
                            const model::LanguageTokens& languages,
                            const model::DecodingOptions& defaults,
                            model::ComputeType compute_type,
                            const RequestLimits& limits,
                            const SchedulerOptions& scheduler,
                            int64_t max_message_bytes);

}  // namespace glossa::server

#endif  // GLOSSA_SERVER_MODELS_MODEL_INFO_H_
