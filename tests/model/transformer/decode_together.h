#ifndef GLOSSA_TESTS_MODEL_TRANSFORMER_DECODE_TOGETHER_H_
#define GLOSSA_TESTS_MODEL_TRANSFORMER_DECODE_TOGETHER_H_

// Runs sources through one BatchDecoder to the end, with the options a
// reference fixture names per sentence: for the parity tests.

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <vector>

#include "gtest/gtest.h"
#include "model/decoding/batch_decoder.h"

namespace glossa::model {

// A sentence's options: the case's, with the target language forced first
// (NLLB / M2M100 / mBART-50 fixtures name it per sentence).
inline DecodingOptions ForSentence(DecodingOptions options,
                                   const nlohmann::json& sentence) {
  if (sentence.contains("forced_bos_token_id")) {
    options.forced_prefix = {sentence["forced_bos_token_id"].get<int>()};
  }
  return options;
}

struct Decoded {
  std::vector<Hypothesis> hypotheses;
  std::vector<float> streamed_logprobs;
};

// Decodes every source together in one BatchDecoder, each with its own
// options.
inline std::vector<Decoded> DecodeTogether(
    std::shared_ptr<const Model> model,
    const std::vector<std::vector<int>>& sources,
    const std::vector<DecodingOptions>& options) {
  BatchDecoder decoder(model);
  std::vector<NewSequence> batch;
  for (size_t i = 0; i < sources.size(); ++i) {
    batch.push_back({sources[i], options[i]});
  }
  auto ids = decoder.Add(std::move(batch));
  EXPECT_TRUE(ids.ok()) << ids.status();
  std::map<uint64_t, size_t> index;
  for (size_t i = 0; i < ids->size(); ++i) index[(*ids)[i]] = i;
  std::vector<Decoded> decoded(sources.size());
  while (decoder.num_sequences() > 0) {
    auto events = decoder.Step();
    EXPECT_TRUE(events.ok()) << events.status();
    if (!events.ok()) break;
    for (SequenceEvent& event : *events) {
      Decoded& d = decoded[index[event.sequence_id]];
      if (event.has_token) d.streamed_logprobs.push_back(event.logprob);
      if (event.finished) d.hypotheses = std::move(event.hypotheses);
    }
  }
  return decoded;
}

}  // namespace glossa::model

#endif  // GLOSSA_TESTS_MODEL_TRANSFORMER_DECODE_TOGETHER_H_
