#ifndef GLOSSA_SERVER_REQUESTS_TRANSLATE_TASK_H_
#define GLOSSA_SERVER_REQUESTS_TRANSLATE_TASK_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "glossa/v1/glossa.pb.h"
#include "model/engine.h"
#include "server/requests/request_validator.h"
#include "server/requests/response_sink.h"
#include "server/requests/translation_cache.h"
#include "server/scheduling/task.h"

namespace glossa::server {

// A Translate request in the scheduler: one sequence per non-blank segment;
// collects the hypotheses and builds the response when all are done.
class TranslateTask final : public Task {
 public:
  // `engine` and `sink` must outlive the task's OnComplete call; the sink
  // gets the response (or nothing) and then Close(), on the scheduler
  // thread or, from RespondWithoutDecoding(), on the caller's. Segments
  // found in `cache` (under `model_version`) are not decoded, and decoded
  // ones are stored in it; `cache` may be null.
  TranslateTask(const ValidatedTranslate& request, const model::Engine* engine,
                std::string model_name, TranslationCache* cache,
                uint64_t model_version, absl::Time arrival, absl::Time deadline,
                TranslateSink* sink);

  // Whether any segment needs the model. If not, the task is not scheduled:
  // call RespondWithoutDecoding() instead.
  bool needs_decoding() const { return !sequences().empty(); }
  void RespondWithoutDecoding() { OnComplete(absl::OkStatus()); }

  bool OnToken(int index, int token_id, float logprob) override;
  void OnSequenceFinished(int index, SequenceOutcome outcome) override;
  void OnComplete(absl::Status status) override;

 private:
  struct SegmentPlan {
    int sequence = -1;  // index into sequences(), -1 when not decoded
    int input_tokens = 0;
    std::string cache_key;                       // "" when not cacheable
    std::vector<int> applied_terms;              // options.terminology indices
    std::vector<std::vector<int>> constraints;   // their target ids
    std::vector<model::TokenSpan> source_spans;  // with alignments
    std::optional<v1::Translation> cached;       // a cache hit
  };
  struct Plan {
    std::vector<Sequence> sequences;
    std::vector<SegmentPlan> segments;
  };
  static Plan MakePlan(const ValidatedTranslate& request,
                       TranslationCache* cache, uint64_t model_version,
                       absl::string_view model_name);
  TranslateTask(Plan plan, const ValidatedTranslate& request,
                const model::Engine* engine, std::string model_name,
                TranslationCache* cache, absl::Time arrival,
                absl::Time deadline, TranslateSink* sink);

  const model::Engine* const engine_;
  TranslationCache* const cache_;
  const std::string model_name_;
  const bool return_scores_;
  const bool return_token_logprobs_;
  // Hypothesis.alignments from the decoder's source positions.
  void AddAlignments(const model::Hypothesis& hypothesis,
                     const std::vector<model::TokenSpan>& source_spans,
                     v1::Hypothesis* out) const;
  const bool sampling_;
  const uint64_t seed_;
  std::vector<SegmentPlan> segments_;
  std::vector<SequenceOutcome> outcomes_;  // per sequence
  TranslateSink* const sink_;
};

}  // namespace glossa::server

#endif  // GLOSSA_SERVER_REQUESTS_TRANSLATE_TASK_H_
