#include "server/requests/translate_task.h"

#include <utility>

#include "server/requests/controlled_decoding.h"

namespace glossa::server {
namespace {

void SetSourceSpan(const std::vector<model::TokenSpan>& spans, int token,
                   v1::AlignmentLink* link) {
  if (token < 0 || token >= static_cast<int>(spans.size())) return;
  link->set_source_begin(spans[token].begin);
  link->set_source_end(spans[token].end);
}

}  // namespace

void TranslateTask::AddAlignments(
    const model::Hypothesis& hypothesis,
    const std::vector<model::TokenSpan>& source_spans,
    v1::Hypothesis* out) const {
  const std::vector<model::TokenSpan> target_spans =
      engine_->TargetSpans(hypothesis.token_ids);
  for (size_t t = 0; t < hypothesis.alignments.size(); ++t) {
    v1::AlignmentLink* link = out->add_alignments();
    link->set_target_token(static_cast<int>(t));
    link->set_source_token(hypothesis.alignments[t]);
    SetSourceSpan(source_spans, hypothesis.alignments[t], link);
    link->set_target_begin(target_spans[t].begin);
    link->set_target_end(target_spans[t].end);
  }
}

TranslateTask::Plan TranslateTask::MakePlan(const ValidatedTranslate& request,
                                            TranslationCache* cache,
                                            uint64_t model_version,
                                            absl::string_view model_name) {
  Plan plan;
  for (size_t i = 0; i < request.segments.size(); ++i) {
    const model::SourceText& segment = request.segments[i];
    const model::DecodingOptions& options = request.OptionsFor(i);
    SegmentPlan& segment_plan = plan.segments.emplace_back();
    if (segment.blank) continue;
    if (i < request.source_spans.size()) {
      segment_plan.source_spans = request.source_spans[i];
    }
    if (i < request.applied_terms.size()) {
      segment_plan.applied_terms = request.applied_terms[i];
      segment_plan.constraints = options.constraints;
    }
    segment_plan.input_tokens = static_cast<int>(segment.ids.size());
    if (cache != nullptr && request.cacheable) {
      segment_plan.cache_key =
          TranslationCache::Key(model_version, options, request.return_scores,
                                segment.ids, request.return_token_logprobs);
      segment_plan.cached = cache->Lookup(segment_plan.cache_key, model_name);
      if (segment_plan.cached.has_value()) continue;
    }
    segment_plan.sequence = static_cast<int>(plan.sequences.size());
    plan.sequences.push_back({segment.ids, options});
  }
  return plan;
}

TranslateTask::TranslateTask(const ValidatedTranslate& request,
                             const model::Engine* engine,
                             std::string model_name, TranslationCache* cache,
                             uint64_t model_version, absl::Time arrival,
                             absl::Time deadline, TranslateSink* sink)
    // model_name is copied, not moved: the order in which arguments are
    // evaluated is unspecified, and MakePlan reads it for the cache metrics.
    : TranslateTask(MakePlan(request, cache, model_version, model_name),
                    request, engine, model_name, cache, arrival, deadline,
                    sink) {}

TranslateTask::TranslateTask(Plan plan, const ValidatedTranslate& request,
                             const model::Engine* engine,
                             std::string model_name, TranslationCache* cache,
                             absl::Time arrival, absl::Time deadline,
                             TranslateSink* sink)
    : Task(std::move(plan.sequences), arrival, deadline),
      engine_(engine),
      cache_(cache),
      model_name_(std::move(model_name)),
      return_scores_(request.return_scores),
      return_token_logprobs_(request.return_token_logprobs),
      sampling_(request.options.sampling),
      seed_(request.options.seed),
      segments_(std::move(plan.segments)),
      sink_(sink) {
  outcomes_.resize(sequences().size());
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
    if (plan.cached.has_value()) {
      *translation = *plan.cached;
      translation->set_cached(true);
      // The entry was stored by a request whose terms may be numbered
      // differently; the constraints, and so their order, are the same.
      for (int k = 0; k < translation->terms_size(); ++k) {
        translation->mutable_terms(k)->set_term(plan.applied_terms[k]);
      }
      // Texts that differ only in what tokenizing drops (spacing) share an
      // entry: source byte ranges are this text's own.
      for (v1::Hypothesis& hypothesis : *translation->mutable_hypotheses()) {
        for (v1::AlignmentLink& link : *hypothesis.mutable_alignments()) {
          SetSourceSpan(plan.source_spans, link.source_token(), &link);
        }
      }
      input_tokens += translation->input_tokens();
      output_tokens += translation->output_tokens();
      continue;
    }
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
      if (!return_token_logprobs_) continue;
      for (size_t t = 0; t < hypothesis.token_ids.size(); ++t) {
        v1::Token* token = out->add_tokens();
        token->set_id(hypothesis.token_ids[t]);
        if (t < hypothesis.token_logprobs.size()) {
          token->set_logprob(hypothesis.token_logprobs[t]);
        }
        token->set_index(static_cast<int>(t));
        if (t < hypothesis.alternatives.size()) {
          for (const auto& [id, logprob] : hypothesis.alternatives[t]) {
            v1::TokenAlternative* alternative = token->add_alternatives();
            alternative->set_id(id);
            alternative->set_logprob(logprob);
            alternative->set_text(engine_->Decode({id}));
          }
        }
      }
    }
    if (!plan.source_spans.empty()) {
      for (int h = 0; h < translation->hypotheses_size(); ++h) {
        AddAlignments(outcome.hypotheses[h], plan.source_spans,
                      translation->mutable_hypotheses(h));
      }
    }
    for (size_t k = 0; k < plan.applied_terms.size(); ++k) {
      v1::AppliedTerm* term = translation->add_terms();
      term->set_term(plan.applied_terms[k]);
      term->set_met(!outcome.hypotheses.empty() &&
                    ContainsPhrase(outcome.hypotheses.front().token_ids,
                                   plan.constraints[k]));
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
    if (cache_ != nullptr && !plan.cache_key.empty()) {
      cache_->Insert(plan.cache_key, *translation);
    }
  }
  response.mutable_usage()->set_input_tokens(input_tokens);
  response.mutable_usage()->set_output_tokens(output_tokens);
  sink_->Send(std::move(response));
  sink_->Close(absl::OkStatus());
}

}  // namespace glossa::server
