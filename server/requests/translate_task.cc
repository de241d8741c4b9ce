#include "server/requests/translate_task.h"

#include <utility>

namespace glossa::server {
namespace {

std::vector<Task::Sequence> SequencesOf(const ValidatedTranslate& request) {
  std::vector<Task::Sequence> sequences;
  for (const model::SourceText& segment : request.segments) {
    if (!segment.blank) {
      sequences.push_back({segment.ids, request.options});
    }
  }
  return sequences;
}

}  // namespace

TranslateTask::TranslateTask(const ValidatedTranslate& request,
                             const model::Engine* engine,
                             std::string model_name, absl::Time arrival,
                             absl::Time deadline, TranslateSink* sink)
    : Task(SequencesOf(request), arrival, deadline),
      engine_(engine),
      model_name_(std::move(model_name)),
      return_scores_(request.return_scores),
      sampling_(request.options.sampling),
      seed_(request.options.seed),
      sink_(sink) {
  int next = 0;
  for (const model::SourceText& segment : request.segments) {
    SegmentPlan plan;
    if (!segment.blank) {
      plan.sequence = next++;
      plan.input_tokens = static_cast<int>(segment.ids.size());
    }
    segments_.push_back(plan);
  }
  outcomes_.resize(next);
}

bool TranslateTask::OnToken(int index, int token_id, float logprob) {
  return true;  // Translate answers once, at the end
}

void TranslateTask::OnSequenceFinished(int index, SequenceOutcome outcome) {
  outcomes_[index] = std::move(outcome);
}

void TranslateTask::OnComplete(absl::Status status) {
  if (!status.ok()) {
    sink_->Close(std::move(status));
    return;
  }
  v1::TranslateResponse response;
  response.set_model(model_name_);
  int64_t input_tokens = 0;
  int64_t output_tokens = 0;
  for (const SegmentPlan& plan : segments_) {
    v1::Translation* translation = response.add_translations();
    if (plan.sequence < 0) {
      translation->add_hypotheses();  // empty text, score 0, no tokens
      continue;
    }
    const SequenceOutcome& outcome = outcomes_[plan.sequence];
    for (const model::Hypothesis& hypothesis : outcome.hypotheses) {
      v1::Hypothesis* out = translation->add_hypotheses();
      out->set_text(engine_->Decode(hypothesis.token_ids));
      if (return_scores_) out->set_score(hypothesis.score);
      out->set_num_tokens(static_cast<int>(hypothesis.token_ids.size()));
    }
    const int generated =
        outcome.hypotheses.empty()
            ? 0
            : model::Engine::OutputTokens(outcome.hypotheses.front());
    translation->set_input_tokens(plan.input_tokens);
    translation->set_output_tokens(generated);
    if (sampling_) translation->set_seed(seed_);
    input_tokens += plan.input_tokens;
    output_tokens += generated;
  }
  response.mutable_usage()->set_input_tokens(input_tokens);
  response.mutable_usage()->set_output_tokens(output_tokens);
  sink_->Send(std::move(response));
  sink_->Close(absl::OkStatus());
}

}  // namespace glossa::server
