#include "server/requests/generate_task.h"

#include <utility>

namespace glossa::server {
namespace {

std::vector<Task::Sequence> SequencesOf(const ValidatedGenerate& request) {
  return {{request.source_ids, request.options}};
}

}  // namespace

GenerateTask::GenerateTask(ValidatedGenerate request,
                           const model::Engine* engine, absl::Time arrival,
                           absl::Time deadline, GenerateSink* sink)
    : Task(SequencesOf(request), arrival, deadline),
      sink_(sink),
      input_tokens_(static_cast<int>(request.source_ids.size())),
      sampling_(request.options.sampling),
      seed_(request.options.seed),
      streamer_(&engine->tokenizer(), std::move(request.stop)) {}

bool GenerateTask::OnToken(int index, int token_id, float logprob) {
  const TextStreamer::Update update = streamer_.Append(token_id);
  v1::GenerateResponse response;
  response.set_text(update.delta);
  v1::Token* token = response.mutable_token();
  token->set_id(token_id);
  token->set_logprob(logprob);
  token->set_index(generated_++);
  sink_->Send(std::move(response));
  return !update.stopped;
}

void GenerateTask::OnSequenceFinished(int index, SequenceOutcome outcome) {
  finished_ = true;
  // Beam search streams what became final as it went; the rest of the best
  // hypothesis follows now, token by token as if decoded (greedy and
  // sampled sequences have streamed all of theirs).
  if (!outcome.hypotheses.empty()) {
    const model::Hypothesis& best = outcome.hypotheses.front();
    for (size_t t = generated_; t < best.token_ids.size(); ++t) {
      const float logprob =
          t < best.token_logprobs.size() ? best.token_logprobs[t] : 0.0f;
      if (!OnToken(index, best.token_ids[t], logprob)) {
        outcome.end = SequenceEnd::kStop;
        outcome.hypotheses.clear();
        break;
      }
    }
  }
  // A stop sequence ends the stream with what was streamed; otherwise the
  // decoder's count holds (the end-of-sentence step included).
  output_tokens_ =
      outcome.hypotheses.empty()
          ? generated_
          : model::Engine::OutputTokens(outcome.hypotheses.front());
  switch (outcome.end) {
    case SequenceEnd::kEos:
      reason_ = v1::FINISH_REASON_EOS;
      break;
    case SequenceEnd::kLength:
      reason_ = v1::FINISH_REASON_LENGTH;
      break;
    case SequenceEnd::kStop:
      reason_ = v1::FINISH_REASON_STOP;
      break;
  }
}

void GenerateTask::SendResult(v1::FinishReason reason) {
  v1::GenerateResponse response;
  response.set_text(streamer_.Finish().delta);
  v1::GenerateResult* result = response.mutable_result();
  result->set_text(streamer_.text());
  result->set_finish_reason(reason);
  result->mutable_usage()->set_input_tokens(input_tokens_);
  result->mutable_usage()->set_output_tokens(finished_ ? output_tokens_
                                                       : generated_);
  if (sampling_) result->set_seed(seed_);
  if (reason == v1::FINISH_REASON_STOP) {
    result->set_stop(streamer_.matched_stop());
  }
  sink_->Send(std::move(response));
}

void GenerateTask::OnComplete(absl::Status status) {
  if (status.ok() && finished_) {
    SendResult(reason_);
    sink_->Close(absl::OkStatus());
  } else if (absl::IsUnavailable(status) && generated_ > 0) {
    // Shutdown cut the generation short: return what exists, marked.
    SendResult(v1::FINISH_REASON_CANCELLED);
    sink_->Close(absl::OkStatus());
  } else {
    sink_->Close(std::move(status));
  }
}

}  // namespace glossa::server
