"""Hugging Face's generate() for the reference models (marian_torch.MarianModel,
fairseq_torch.FairseqMTModel): the logits processors, greedy search and beam
search, with the decision margins that tell a legitimate fp32 difference from
a bug (tools/reference/DECODING.md). Used through the models' generate(); the
forward passes are in marian_torch.py and fairseq_torch.py."""

import math
from dataclasses import dataclass, field
from typing import List, Optional

import torch


@dataclass
class Hypothesis:
    """One output sequence of generate().

    tokens: generated ids; the decoder start token is not included, the final
        EOS is included when the hypothesis ended with one.
    score: beam search: Hugging Face's sequences_scores, i.e.
        sum(log-probs) / generated_len ** length_penalty (DECODING.md).
        Greedy: sum(token_logprobs).
    token_logprobs: greedy only: log_softmax(raw logits)[token] per token.
    """

    tokens: List[int]
    score: float
    token_logprobs: Optional[List[float]] = None


@dataclass
class _BeamHyps:
    """Hugging Face's BeamHypotheses for one source: the n-best finished list."""

    num_beams: int
    length_penalty: float
    beams: list = field(default_factory=list)  # (score, tokens)
    worst_score: float = 1e9

    def add(self, tokens: List[int], sum_logprobs: float, generated_len: int, margins: list) -> None:
        score = sum_logprobs / (generated_len ** self.length_penalty)
        if len(self.beams) >= self.num_beams:
            margins.append(abs(score - self.worst_score))
        if len(self.beams) < self.num_beams or score > self.worst_score:
            self.beams.append((score, tokens))
            if len(self.beams) > self.num_beams:
                ranked = sorted((s, i) for i, (s, _) in enumerate(self.beams))
                margins.append(ranked[1][0] - ranked[0][0])
                del self.beams[ranked[0][1]]
                self.worst_score = ranked[1][0]
            else:
                self.worst_score = min(score, self.worst_score)

    def is_done(self, best_sum_logprobs: float, cur_len: int, early_stopping: bool, margins: list) -> bool:
        if len(self.beams) < self.num_beams:
            return False
        if early_stopping:
            return True
        highest_attainable = best_sum_logprobs / (cur_len ** self.length_penalty)
        if self.worst_score != highest_attainable:
            # Exact equality is structural, not a near-tie: the best candidate
            # is an EOS that was just admitted as the worst finished entry.
            margins.append(abs(self.worst_score - highest_attainable))
        return self.worst_score >= highest_attainable



@dataclass
class Penalties:
    """RepetitionPenaltyLogitsProcessor and NoRepeatNGramLogitsProcessor
    settings (1.0 / 0: off)."""

    repetition_penalty: float = 1.0
    no_repeat_ngram_size: int = 0


def _penalize(scores: torch.Tensor, seqs: torch.Tensor, penalties: Penalties) -> None:
    """In place, over each row's decoder ids so far (decoder start included):
    every id already present has its score multiplied by the penalty when
    negative, divided by it otherwise; then any token that would repeat an
    n-gram of the row gets -inf."""
    p = penalties.repetition_penalty
    if p != 1.0:
        for r in range(scores.shape[0]):
            ids = sorted(set(seqs[r].tolist()))
            vals = scores[r, ids]
            scores[r, ids] = torch.where(vals < 0, vals * p, vals / p)
    n = penalties.no_repeat_ngram_size
    cur_len = seqs.shape[1]
    if n > 0 and cur_len + 1 >= n:
        for r in range(scores.shape[0]):
            tokens = seqs[r].tolist()
            tail = tuple(tokens[cur_len + 1 - n:])
            banned = {tokens[i + n - 1] for i in range(cur_len - n + 1) if tuple(tokens[i:i + n - 1]) == tail}
            if banned:
                scores[r, sorted(banned)] = float("-inf")


def _process_scores(model, scores: torch.Tensor, cur_len: int, min_length: int, max_length: int,
                    forced_bos: Optional[torch.Tensor] = None, seqs: Optional[torch.Tensor] = None,
                    penalties: Optional[Penalties] = None) -> torch.Tensor:
    """The logits processors, in Hugging Face's order.

    cur_len: decoder sequence length so far, decoder start token included.
    forced_bos: [rows] target language code per row (multilingual models),
    or None. seqs: [rows, cur_len] decoder ids so far, for the penalties.
    """
    cfg = model.config
    scores = scores.clone()
    eos = cfg["eos_token_id"]
    if penalties is not None:
        _penalize(scores, seqs, penalties)
    # NoBadWordsLogitsProcessor: single-token entries, EOS never banned.
    for seq in cfg["bad_words_ids"] or []:
        if len(seq) == 1 and seq[0] != eos:
            scores[:, seq[0]] = float("-inf")
    # MinLengthLogitsProcessor.
    if cur_len < min_length:
        scores[:, eos] = float("-inf")
    # ForcedBOSTokenLogitsProcessor: the first generated token is the code.
    if forced_bos is not None and cur_len == 1:
        scores[:, :] = float("-inf")
        scores[torch.arange(scores.shape[0]), forced_bos] = 0.0
    # ForcedEOSTokenLogitsProcessor (last: wins over the forced BOS).
    forced = cfg["forced_eos_token_id"]
    if forced is not None and cur_len == max_length - 1:
        scores[:, :] = float("-inf")
        scores[:, forced] = 0.0
    return scores

@torch.no_grad()
def generate(model, input_ids: torch.Tensor, attention_mask: Optional[torch.Tensor] = None,
             num_beams: Optional[int] = None, max_length: Optional[int] = None, min_length: int = 0,
             length_penalty: float = 1.0, num_return_sequences: int = 1, early_stopping: bool = False,
             stats: Optional[dict] = None, forced_bos_token_id=None, repetition_penalty: float = 1.0,
             no_repeat_ngram_size: int = 0) -> List[List[Hypothesis]]:
    """Greedy (num_beams == 1) or beam search, as Hugging Face's generate().

    max_length / min_length count the decoder sequence *including* the
    decoder start token (Hugging Face's convention): at most
    max_length - 1 tokens are generated. Defaults: config num_beams and
    max_length. Returns, per source row, num_return_sequences hypotheses,
    best first.

    stats: if a dict is passed, stats["min_margin"] receives, per source
    row, the smallest score gap behind any decision taken (argmax, beam
    candidate sets, n-best admission, done-rule, final ranking): a gap
    below ~1e-3 means an fp32 implementation may legitimately differ.

    forced_bos_token_id: None, one id, or one id per source row: the token
    forced at the first step (ForcedBOSTokenLogitsProcessor; the target
    language of M2M100 / NLLB / mBART-50). Hugging Face takes one id per
    call; per row, each row decodes exactly as it would alone.

    repetition_penalty, no_repeat_ngram_size: as Hugging Face's processors
    (applied to raw logits in greedy search, to log-probabilities in beam
    search); a greedy token's logprob stays the model's own.
    """
    cfg = model.config
    num_beams = cfg["num_beams"] if num_beams is None else num_beams
    max_length = cfg["max_length"] if max_length is None else max_length
    if attention_mask is None:
        attention_mask = torch.ones_like(input_ids)
    if num_return_sequences > num_beams:
        raise ValueError("num_return_sequences must be <= num_beams")
    if max_length < 2:
        raise ValueError("max_length must be >= 2 (decoder start + one token)")
    was_training = model.training
    model.eval()
    try:
        forced_bos = _per_row(forced_bos_token_id, input_ids.shape[0])
        penalties = Penalties(repetition_penalty, no_repeat_ngram_size)
        enc = model.encode(input_ids, attention_mask)
        if num_beams == 1:
            out, margins = _greedy(model, enc, attention_mask, max_length, min_length, forced_bos, penalties)
        else:
            out, margins = _beam_search(model, enc, attention_mask, num_beams, max_length, min_length,
                                        length_penalty, num_return_sequences, early_stopping, forced_bos,
                                        penalties)
    finally:
        model.train(was_training)
    if stats is not None:
        stats["min_margin"] = margins
    return out

def _per_row(forced_bos_token_id, batch: int) -> Optional[torch.Tensor]:
    if forced_bos_token_id is None:
        return None
    if isinstance(forced_bos_token_id, int):
        return torch.full((batch,), forced_bos_token_id, dtype=torch.long)
    ids = torch.tensor(list(forced_bos_token_id), dtype=torch.long)
    if ids.shape != (batch,):
        raise ValueError(f"forced_bos_token_id: {ids.shape[0]} ids for {batch} source rows")
    return ids


def _greedy(model, enc, attention_mask, max_length, min_length, forced_bos=None, penalties=None):
    cfg = model.config
    batch = enc.shape[0]
    eos, pad = cfg["eos_token_id"], cfg["pad_token_id"]
    seqs = torch.full((batch, 1), cfg["decoder_start_token_id"], dtype=torch.long)
    finished = [False] * batch
    tokens = [[] for _ in range(batch)]
    logprobs = [[] for _ in range(batch)]
    margins = [math.inf] * batch
    # Finished rows leave the computation (rows are independent: no
    # decoder padding mask), so one long output does not make every
    # row of its batch recompute its prefix until max_length.
    while seqs.shape[1] < max_length and not all(finished):
        cur_len = seqs.shape[1]
        active = [b for b in range(batch) if not finished[b]]
        rows = torch.tensor(active)
        logits = model.decode(seqs[rows], enc[rows], attention_mask[rows],
                             last_only=True)[:, -1, :].float()
        raw_logprobs = torch.log_softmax(logits, dim=-1)
        scores = _process_scores(model, logits, cur_len, min_length, max_length,
                                 None if forced_bos is None else forced_bos[rows], seqs[rows], penalties)
        top2 = torch.topk(scores, 2, dim=-1)
        next_tokens = torch.full((batch,), pad, dtype=torch.long)
        for j, b in enumerate(active):
            tok = int(top2.indices[j, 0])
            gap = float(top2.values[j, 0] - top2.values[j, 1])
            margins[b] = min(margins[b], gap if not math.isnan(gap) else math.inf)
            tokens[b].append(tok)
            logprobs[b].append(float(raw_logprobs[j, tok]))
            next_tokens[b] = tok
            if tok == eos:
                finished[b] = True
        seqs = torch.cat([seqs, next_tokens[:, None]], dim=1)
    out = [[Hypothesis(tokens[b], float(sum(logprobs[b])), logprobs[b])] for b in range(batch)]
    return out, margins

def _beam_search(model, enc, attention_mask, num_beams, max_length, min_length, length_penalty,
                 num_return_sequences, early_stopping, forced_bos=None, penalties=None):
    cfg = model.config
    batch, src_len, d = enc.shape
    vocab = cfg["vocab_size"]
    eos, pad = cfg["eos_token_id"], cfg["pad_token_id"]
    k = num_beams
    # Rows b*k .. b*k+k-1 are the beams of source b.
    enc = enc.repeat_interleave(k, dim=0)
    mask = attention_mask.repeat_interleave(k, dim=0)
    seqs = torch.full((batch * k, 1), cfg["decoder_start_token_id"], dtype=torch.long)
    beam_scores = torch.zeros(batch, k)
    beam_scores[:, 1:] = -1e9  # only beam 0 is live at the first step
    beam_scores = beam_scores.view(-1)
    hyps = [_BeamHyps(k, length_penalty) for _ in range(batch)]
    done = [False] * batch
    margins = [[] for _ in range(batch)]
    decoder_prompt_len = 1
    n_candidates = 2 * k

    while True:
        cur_len = seqs.shape[1]  # decoder start included
        logits = model.decode(seqs, enc, mask, last_only=True)[:, -1, :].float()
        logprobs = torch.log_softmax(logits, dim=-1)
        logprobs = _process_scores(model, logprobs, cur_len, min_length, max_length,
                                   None if forced_bos is None else forced_bos.repeat_interleave(k), seqs,
                                   penalties)
        totals = (logprobs + beam_scores[:, None]).view(batch, k * vocab)
        # One extra candidate only to measure the margin at the cut.
        top_scores, top_ids = torch.topk(totals, n_candidates + 1, dim=1, largest=True, sorted=True)

        next_scores = torch.zeros(batch, k)
        next_tokens = torch.full((batch, k), pad, dtype=torch.long)
        next_rows = torch.zeros(batch, k, dtype=torch.long)
        for b in range(batch):
            if done[b]:
                next_rows[b] = torch.arange(b * k, b * k + k)  # keep rows; their output is final
                continue
            cand_scores = [float(s) for s in top_scores[b]]
            cand_beams = [int(i) // vocab for i in top_ids[b]]
            cand_tokens = [int(i) % vocab for i in top_ids[b]]
            filled = 0
            last_rank = 0
            for rank in range(n_candidates):
                row = b * k + cand_beams[rank]
                if cand_tokens[rank] == eos:
                    if rank >= k:
                        continue  # EOS outside the top num_beams: dropped
                    # Generated length counts this EOS (cur_len + 1 - decoder_prompt_len).
                    hyps[b].add(seqs[row, 1:].tolist() + [eos], cand_scores[rank],
                                cur_len + 1 - decoder_prompt_len, margins[b])
                else:
                    next_scores[b, filled] = cand_scores[rank]
                    next_tokens[b, filled] = cand_tokens[rank]
                    next_rows[b, filled] = row
                    filled += 1
                if filled == k:
                    last_rank = rank
                    break
            if filled < k:
                raise RuntimeError("fewer than num_beams non-EOS candidates")
            _record_cut_margins(margins[b], cand_scores, cand_tokens, last_rank, k, eos)
            done[b] = hyps[b].is_done(max(cand_scores[:n_candidates]), cur_len + 1 - decoder_prompt_len,
                                      early_stopping, margins[b])
        beam_scores = next_scores.view(-1)
        seqs = torch.cat([seqs[next_rows.view(-1)], next_tokens.view(-1, 1)], dim=1)
        if all(done) or seqs.shape[1] >= max_length:
            break

    # finalize(): open beams of unfinished sources join their n-best lists.
    for b in range(batch):
        if done[b]:
            continue
        for j in range(k):
            row = b * k + j
            hyps[b].add(seqs[row, 1:].tolist(), float(beam_scores[row]),
                        seqs.shape[1] - decoder_prompt_len, margins[b])
    out = []
    row_margins = []
    for b in range(batch):
        ranked = sorted(hyps[b].beams, key=lambda x: x[0])  # stable: ties keep insertion order
        best = []
        for _ in range(num_return_sequences):
            score, tokens = ranked.pop()
            best.append(Hypothesis(list(tokens), float(score)))
        gaps = [best[i].score - best[i + 1].score for i in range(len(best) - 1)]
        if ranked:
            gaps.append(best[-1].score - ranked[-1][0])
        m = margins[b] + gaps
        finite = [abs(x) for x in m if not math.isnan(x)]
        if any(not math.isfinite(h.score) for h in best):
            finite.append(0.0)
        row_margins.append(min(finite) if finite else math.inf)
        out.append(best)
    return out, row_margins


def _record_cut_margins(margins: list, scores: list, tokens: list, last_rank: int, k: int, eos: int) -> None:
    """Score gaps at which a beam step's outcome would change."""

    def gap(i: int) -> float:
        hi, lo = scores[i], scores[i + 1]
        if lo == float("-inf"):
            return math.inf  # -inf candidates never reach an output (finalize checks)
        return hi - lo

    # Which candidates fill the beams: the last one taken vs the next one.
    margins.append(gap(last_rank))
    # Whether an EOS makes the top num_beams.
    if tokens[k - 1] == eos or tokens[k] == eos:
        margins.append(gap(k - 1))
