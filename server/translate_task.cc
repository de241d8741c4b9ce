#include "server/translate_task.h"

#include <utility>

namespace glossa::server {
namespace {

std::vector<Task::Sequence> SequencesOf(const ValidatedTranslate& request) {
  std::vector<Task::Sequence> sequences;
  for (const ValidatedTranslate::Segment& segment : request.segments) {
    if (!segment.blank) {
      sequences.push_back({segment.source_ids, request.options});
    }
  }
  return sequences;
}

}  // namespace

TranslateTask::TranslateTask(const ValidatedTranslate& request,
                             const TextCodec* codec, std::string model_name,
                             absl::Time arrival, absl::Time deadline, Done done)
    : Task(SequencesOf(request), arrival, deadline),
      codec_(codec),
      model_name_(std::move(model_name)),
      return_scores_(request.return_scores),
      sampling_(request.options.sampling),
      seed_(request.options.seed),
      done_(std::move(done)) {
  int next = 0;
  for (const ValidatedTranslate::Segment& segment : request.segments) {
    SegmentPlan plan;
    if (!segment.blank) {
      plan.sequence = next++;
      plan.input_tokens = static_cast<int>(segment.source_ids.size());
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
  Done done = std::move(done_);
  if (!status.ok()) {
    done(std::move(status));
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
      out->set_text(codec_->Decode(hypothesis.token_ids));
      if (return_scores_) out->set_score(hypothesis.score);
      out->set_num_tokens(static_cast<int>(hypothesis.token_ids.size()));
    }
    int generated = 0;
    if (!outcome.hypotheses.empty()) {
      // The last step produced end-of-sentence (forced at the length
      // limit), as the engine's Translator counts it.
      generated =
          static_cast<int>(outcome.hypotheses.front().token_ids.size()) + 1;
    }
    translation->set_input_tokens(plan.input_tokens);
    translation->set_output_tokens(generated);
    if (sampling_) translation->set_seed(seed_);
    input_tokens += plan.input_tokens;
    output_tokens += generated;
  }
  response.mutable_usage()->set_input_tokens(input_tokens);
  response.mutable_usage()->set_output_tokens(output_tokens);
  done(std::move(response));
}

}  // namespace glossa::server
