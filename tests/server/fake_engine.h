#ifndef GLOSSA_TESTS_SERVER_FAKE_ENGINE_H_
#define GLOSSA_TESTS_SERVER_FAKE_ENGINE_H_

// Test doubles for the serving layer's seams: a byte-level tokenizer (and
// an engine facade over it, without a model), a scripted decoder and a fake
// clock.

#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "model/engine.h"
#include "model/io/config.h"
#include "model/tokenizer/tokenizer.h"
#include "server/scheduling/clock.h"
#include "server/scheduling/decoder.h"

namespace glossa::server::testing {

// Token ids: 0 = pad, 1 = unk, 2 = EOS, 3 + b for byte b. So every byte is
// a token and multi-byte characters are spread over several tokens.
inline constexpr int kEos = 2;
inline int ByteToken(unsigned char byte) { return 3 + byte; }

class ByteCodec final : public model::Tokenizer {
 public:
  absl::StatusOr<std::vector<int>> Encode(
      absl::string_view text) const override {
    std::vector<int> ids;
    for (unsigned char c : text) ids.push_back(ByteToken(c));
    ids.push_back(kEos);
    return ids;
  }
  std::string Decode(absl::Span<const int> ids) const override {
    std::string text;
    for (int id : ids) {
      if (id >= 3 && id < 259) text.push_back(static_cast<char>(id - 3));
    }
    return text;
  }
  int vocab_size() const override { return 259; }
  int eos_id() const override { return kEos; }
  int pad_id() const override { return 0; }
  std::string vocabulary_file() const override { return "bytes"; }
};

inline model::ModelConfig FakeConfig() {
  model::ModelConfig config;
  config.vocab_size = 259;
  config.max_position_embeddings = 64;
  config.generation.max_length = 64;
  config.eos_token_id = kEos;
  config.pad_token_id = 0;
  return config;
}

// The engine's request rules over ByteCodec, with no model to decode.
inline std::shared_ptr<const model::Engine> FakeEngine(
    const model::ModelConfig& config = FakeConfig()) {
  auto engine = model::Engine::Create(
      config, nullptr, std::make_shared<ByteCodec>(), "fake engine");
  return *std::move(engine);
}

// "Translates" a source by echoing its tokens (EOS dropped), one per step,
// then EOS; the same length limit rule as the engine (at max_output_tokens
// the last step is a forced EOS). Beam sequences stream nothing and use
// beam_size rows; their hypotheses are the echo, num_hypotheses times.
class EchoDecoder final : public Decoder {
 public:
  absl::StatusOr<std::vector<uint64_t>> Add(
      std::vector<model::NewSequence> batch) override {
    if (fail_add) return absl::InternalError("injected Add failure");
    add_sizes.push_back(static_cast<int>(batch.size()));
    std::vector<uint64_t> ids;
    for (model::NewSequence& sequence : batch) {
      const uint64_t id = next_id_++;
      Live live;
      live.source.assign(sequence.source_ids.begin(),
                         sequence.source_ids.end() - 1);
      live.options = sequence.options;
      live_[id] = std::move(live);
      ids.push_back(id);
    }
    return ids;
  }

  absl::StatusOr<std::vector<model::SequenceEvent>> Step() override {
    if (fail_step) return absl::InternalError("injected Step failure");
    step_rows.push_back(num_rows());
    std::vector<model::SequenceEvent> events;
    for (auto it = live_.begin(); it != live_.end();) {
      Live& live = it->second;
      model::SequenceEvent event;
      event.sequence_id = it->first;
      if (!fail_source.empty() && Text(live.source) == fail_source) {
        event.finished = true;
        event.failed = true;
        events.push_back(std::move(event));
        it = live_.erase(it);
        continue;
      }
      ++live.generated;
      const int limit = live.options.max_output_tokens > 0
                            ? live.options.max_output_tokens
                            : 1000;
      const bool at_limit = live.generated >= limit;
      const size_t position = live.generated - 1;
      if (position < live.source.size() && !at_limit) {
        live.tokens.push_back(live.source[position]);
        if (live.options.beam_size == 1) {
          event.has_token = true;
          event.token_id = live.source[position];
          event.logprob = -0.5f;
        }
        events.push_back(event);
        ++it;
        continue;
      }
      event.finished = true;
      event.finish_reason = position < live.source.size()
                                ? model::FinishReason::kLength
                                : model::FinishReason::kEos;
      for (int h = 0; h < live.options.num_hypotheses; ++h) {
        event.hypotheses.push_back(
            {live.tokens, -0.5f * static_cast<float>(live.tokens.size() + h)});
      }
      events.push_back(std::move(event));
      it = live_.erase(it);
    }
    return events;
  }

  void Remove(uint64_t sequence_id) override {
    removed.push_back(sequence_id);
    live_.erase(sequence_id);
  }

  int num_rows() const override {
    int rows = 0;
    for (const auto& [id, live] : live_) rows += live.options.beam_size;
    return rows;
  }

  // What the scheduler did, for assertions.
  std::vector<int> add_sizes;
  std::vector<int> step_rows;
  std::vector<uint64_t> removed;
  bool fail_add = false;
  bool fail_step = false;
  // Sequences whose source reads this report non-finite scores.
  std::string fail_source;

 private:
  struct Live {
    std::vector<int> source;
    model::DecodingOptions options;
    std::vector<int> tokens;
    int generated = 0;
  };
  static std::string Text(const std::vector<int>& ids) {
    return ByteCodec().Decode(ids);
  }

  uint64_t next_id_ = 1;
  std::map<uint64_t, Live> live_;
};

class FakeClock final : public Clock {
 public:
  absl::Time Now() const override {
    absl::MutexLock lock(&mu_);
    return now_;
  }
  void Advance(absl::Duration duration) {
    absl::MutexLock lock(&mu_);
    now_ += duration;
  }

 private:
  mutable absl::Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_) = absl::FromUnixSeconds(1000000);
};

}  // namespace glossa::server::testing

#endif  // GLOSSA_TESTS_SERVER_FAKE_ENGINE_H_
