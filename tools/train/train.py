#!/usr/bin/python3
"""Trains the German->English Marian model on the Debian corpus (CPU, PyTorch).

  OMP_WAIT_POLICY=PASSIVE nice -n 19 /usr/bin/python3 tools/train/train.py [--run tools/train/runs/de-en]

Inputs: tools/data/work/train.{de,en} (tools/data/build_corpus.sh),
tools/data/heldout/dev.{de,en} and RUN/vocab/{source.spm,vocab.json}
(tools/train/prepare_vocab.py).

Model: tools/reference/marian_torch.MarianModel, i.e. Hugging Face
MarianMTModel (post-norm, swish, tied and scaled embeddings, sinusoidal
positions). Training: label-smoothed cross-entropy, Adam with linear warm-up
and inverse-square-root decay, token-based batches built from length-sorted
buckets, dropout.

The run directory holds everything: `ckpt_last.pt` (model, optimizer, step,
epoch and batch position, RNG state; written every --ckpt-minutes and at
exit), `ckpt_best.pt` (model of the best dev BLEU so far), `train.log`,
`metrics.jsonl` (one line per evaluation) and `data.npz` (the tokenized
corpus). Starting the script again resumes from `ckpt_last.pt`; the batch
order of an epoch is a function of (seed, epoch) so the data position is
exact. SIGTERM / SIGINT write a checkpoint and exit.
"""

import argparse
import json
import math
import os
import shutil
import signal
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tools", "reference"))
sys.path.insert(0, os.path.join(ROOT, "tools", "eval"))

# Before numpy and torch load a BLAS: re-executes with OpenBLAS preloaded.
from fast_blas import use_openblas  # noqa: E402
use_openblas()

import numpy as np  # noqa: E402
import sentencepiece as spm  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from marian_torch import MarianModel  # noqa: E402
from marian_tokenizer import MarianTokenizer  # noqa: E402
from batch_translate import source_scaled_limit, translate_lines  # noqa: E402
from schedule import Schedule, parse_anneal  # noqa: E402
from batches import (epoch_batches, load_corpus, make_tensors,  # noqa: E402
                     pack, read_lines, single_word_sources)

try:
    from score import bleu as corpus_bleu, chrf as corpus_chrf  # noqa: E402
except ImportError:  # the scorer is optional for training
    corpus_bleu = corpus_chrf = None


def model_config(vocab_size, layers_enc, layers_dec):
    pad = vocab_size - 1
    return {
        "vocab_size": vocab_size,
        "d_model": 256,
        "encoder_layers": layers_enc,
        "decoder_layers": layers_dec,
        "encoder_attention_heads": 4,
        "decoder_attention_heads": 4,
        "encoder_ffn_dim": 1024,
        "decoder_ffn_dim": 1024,
        "activation_function": "swish",
        "scale_embedding": True,
        "normalize_before": False,
        "max_position_embeddings": 512,
        "pad_token_id": pad,
        "eos_token_id": 0,
        "decoder_start_token_id": pad,
        "forced_eos_token_id": 0,
        "bad_words_ids": [[pad]],
        "num_beams": 4,
        "max_length": 256,
        "share_encoder_decoder_embeddings": True,
    }


def init_weights(model, d_model):
    """Xavier-uniform linear layers, N(0, d^-1/2) embeddings (the embedding
    is scaled by sqrt(d) on input and tied to the output projection)."""
    for name, p in model.named_parameters():
        if p.dim() == 2 and "embed" not in name and "shared" not in name:
            torch.nn.init.xavier_uniform_(p)
        elif name.endswith(".bias"):
            torch.nn.init.zeros_(p)
    emb = model.output_embeddings()
    torch.nn.init.normal_(emb, mean=0.0, std=d_model ** -0.5)
    with torch.no_grad():
        emb[model.config["pad_token_id"]].zero_()


# ------------------------------------------------------------------ data

class Encoder:
    """Text -> ids exactly as MarianTokenizer.encode, vectorised."""

    def __init__(self, vocab_dir):
        with open(os.path.join(vocab_dir, "vocab.json"), encoding="utf-8") as f:
            self.vocab = json.load(f)
        self.sp = spm.SentencePieceProcessor(model_file=os.path.join(vocab_dir, "source.spm"))
        unk = self.vocab["<unk>"]
        self.map = np.array([self.vocab.get(self.sp.id_to_piece(i), unk)
                             for i in range(self.sp.get_piece_size())], dtype=np.int32)
        self.eos = self.vocab["</s>"]
        self.pad = self.vocab["<pad>"]

    def encode_lines(self, lines):
        ids = self.sp.encode(lines, out_type=int)
        return [np.append(self.map[np.asarray(x, dtype=np.int64)], self.eos).astype(np.int16)
                if x else np.array([self.eos], dtype=np.int16) for x in ids]


def dev_loss(model, dev_src, dev_tgt, pad, start, max_tokens=4000):
    model.eval()
    n = len(dev_src)
    src, src_off = pack(dev_src)
    tgt, tgt_off = pack(dev_tgt)
    lens = np.array([max(len(a), len(b)) for a, b in zip(dev_src, dev_tgt)])
    order = np.argsort(lens, kind="stable")
    total, ntok = 0.0, 0
    i = 0
    with torch.no_grad():
        while i < n:
            j = i
            while j < n and (j - i + 1) * lens[order[j]] <= max_tokens:
                j += 1
            j = max(j, i + 1)
            x, m, d, y, nt = make_tensors(order[i:j], src, src_off, tgt, tgt_off, pad, start)
            logits = model(x, m, d)
            total += float(F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1),
                                           ignore_index=pad, reduction="sum"))
            ntok += nt
            i = j
    model.train()
    return total / ntok


def greedy_translate(model, tok, lines):
    """Greedy decoding of dev lines (generate() switches to eval mode and back)."""
    return translate_lines(model, tok, lines, num_beams=1, max_length=source_scaled_limit)


def simple_bleu(hyps, refs):
    """Fallback corpus BLEU (whitespace tokens, 1-4 grams) if tools/eval is absent."""
    from collections import Counter
    match = [0] * 4
    total = [0] * 4
    hl = rl = 0
    for h, r in zip(hyps, refs):
        h, r = h.split(), r.split()
        hl += len(h)
        rl += len(r)
        for n in range(1, 5):
            hc = Counter(tuple(h[i:i + n]) for i in range(len(h) - n + 1))
            rc = Counter(tuple(r[i:i + n]) for i in range(len(r) - n + 1))
            match[n - 1] += sum(min(c, rc[g]) for g, c in hc.items())
            total[n - 1] += max(0, len(h) - n + 1)
    if min(match) == 0:
        return 0.0
    lp = sum(math.log(m / t) for m, t in zip(match, total)) / 4
    bp = min(0.0, 1 - rl / max(hl, 1))
    return 100 * math.exp(lp + bp)


def bleu_score(hyps, refs):
    if corpus_bleu is not None:
        return corpus_bleu(hyps, refs).score
    return simple_bleu(hyps, refs)


# ------------------------------------------------------------------ main

def atomic_save(obj, path):
    tmp = path + ".tmp"
    torch.save(obj, tmp)
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--run", default=os.path.join(HERE, "runs", "de-en"))
    ap.add_argument("--data", default=os.path.join(ROOT, "tools", "data", "work"))
    ap.add_argument("--heldout", default=os.path.join(ROOT, "tools", "data", "heldout"))
    ap.add_argument("--encoder-layers", type=int, default=4)
    ap.add_argument("--decoder-layers", type=int, default=3)
    ap.add_argument("--max-tokens", type=int, default=3000,
                    help="padded tokens per batch (rows x longest side)")
    ap.add_argument("--max-len", type=int, default=100, help="drop pairs longer than this (tokens)")
    ap.add_argument("--lr", type=float, default=1e-3, help="peak learning rate")
    ap.add_argument("--warmup", type=int, default=800)
    ap.add_argument("--label-smoothing", type=float, default=0.1)
    ap.add_argument("--dropout", type=float, default=0.1)
    ap.add_argument("--clip", type=float, default=5.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--single-word-keep", type=float, default=1.0,
                    help="fraction of the single-word (dictionary headword) pairs used per epoch; "
                         "they are ~58%% of the pairs and ~38%% of the target words")
    ap.add_argument("--init-from", default="",
                    help="without a checkpoint in --run: start from the weights of this exported "
                         "model directory (fresh optimizer), e.g. models/de-en")
    ap.add_argument("--init-step", type=int, default=0,
                    help="with --init-from: the step the schedule continues from (the export's step)")
    ap.add_argument("--lr-scale", type=float, default=1.0,
                    help="multiplies the learning-rate schedule from here on (resumed runs keep "
                         "their recorded peak; this adjusts it without restarting the schedule)")
    ap.add_argument("--anneal", default="",
                    help="FROM:TO - after step FROM the learning rate falls linearly to zero at step "
                         "TO (and training stops there): the usual way to end a run once dev "
                         "quality flattens (tools/train/schedule.py)")
    ap.add_argument("--bf16", action="store_true",
                    help="bfloat16 autocast for the forward pass (fp32 weights and optimizer); "
                         "~1.7x faster matmuls on CPUs with AVX-512 BF16")
    ap.add_argument("--ckpt-minutes", type=float, default=8.0)
    ap.add_argument("--eval-every", type=int, default=500, help="steps between dev evaluations")
    ap.add_argument("--bleu-lines", type=int, default=400, help="dev lines decoded for BLEU")
    ap.add_argument("--log-every", type=int, default=50)
    ap.add_argument("--max-steps", type=int, default=0, help="stop after this step (0 = never)")
    ap.add_argument("--bench", type=int, default=0,
                    help="time this many steps (no checkpoints, no evaluation) and exit")
    args = ap.parse_args()
    try:
        anneal = parse_anneal(args.anneal)
    except ValueError as e:
        sys.exit(str(e))
    if anneal and (not args.max_steps or args.max_steps > anneal[1]):
        args.max_steps = anneal[1]  # past the anneal's end the rate is zero: nothing to train

    torch.set_num_threads(args.threads)
    os.makedirs(args.run, exist_ok=True)
    vocab_dir = os.path.join(args.run, "vocab")
    if args.init_from and not os.path.isdir(vocab_dir):
        # The model's own vocabulary: its ids are what the weights mean.
        os.makedirs(vocab_dir)
        for name in ("source.spm", "target.spm", "vocab.json"):
            shutil.copyfile(os.path.join(args.init_from, name), os.path.join(vocab_dir, name))
    log_path = os.path.join(args.run, "train.log")

    def log(msg):
        line = time.strftime("%Y-%m-%d %H:%M:%S ") + msg
        print(line, flush=True)
        if not args.bench:
            with open(log_path, "a", encoding="utf-8") as f:
                f.write(line + "\n")

    enc = Encoder(vocab_dir)
    tok = MarianTokenizer(os.path.join(vocab_dir, "source.spm"), os.path.join(vocab_dir, "target.spm"),
                          enc.vocab)
    pad = enc.pad
    src, src_off, tgt, tgt_off = load_corpus(args.run, args.data, enc, log)
    src_len = np.diff(src_off).astype(np.int32)
    single_word = single_word_sources(enc, src, src_off)
    tgt_len = np.diff(tgt_off).astype(np.int32)

    dev_de = read_lines(os.path.join(args.heldout, "dev.de"))
    dev_en = read_lines(os.path.join(args.heldout, "dev.en"))
    dev_kind = [k.split("\t")[0] for k in read_lines(os.path.join(args.heldout, "dev.kind"))]
    dev_src, dev_tgt = enc.encode_lines(dev_de), enc.encode_lines(dev_en)
    # BLEU subset: sentences and UI strings (words and phrases say little about BLEU)
    bleu_idx = [i for i, k in enumerate(dev_kind) if k in ("ding-sentence", "ui")][:args.bleu_lines]

    ckpt_last = os.path.join(args.run, "ckpt_last.pt")
    ckpt_best = os.path.join(args.run, "ckpt_best.pt")
    state = None
    if os.path.exists(ckpt_last) and not args.bench:
        state = torch.load(ckpt_last, map_location="cpu")
        cfg = state["config"]
        hp = state["args"]
        log(f"resuming from {ckpt_last}: step {state['step']}, epoch {state['epoch']}, "
            f"batch {state['batch_pos']}")
    else:
        cfg = model_config(len(enc.vocab), args.encoder_layers, args.decoder_layers)
        hp = {k: getattr(args, k) for k in ("max_tokens", "max_len", "lr", "warmup", "label_smoothing",
                                             "dropout", "clip", "seed")}
    torch.manual_seed(hp["seed"])
    model = MarianModel(cfg)
    init_weights(model, cfg["d_model"])
    model.set_dropout(hp["dropout"])
    model.train()
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.Adam(params, lr=hp["lr"], betas=(0.9, 0.98), eps=1e-9)
    step, epoch, batch_pos, best_bleu = 0, 0, 0, -1.0
    tokens_seen = 0
    if state is None and args.init_from and not args.bench:
        from marian_io import load_weights
        load_weights(model, args.init_from)
        step = args.init_step
        log(f"initialised from {args.init_from} (fresh optimizer), schedule at step {step}")
    if state is not None:
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        step, epoch, batch_pos = state["step"], state["epoch"], state["batch_pos"]
        best_bleu, tokens_seen = state["best_bleu"], state.get("tokens_seen", 0)
        torch.set_rng_state(state["torch_rng"])
        del state
        # ckpt_last may predate the latest improvement (it is written every
        # few minutes): the best checkpoint's own score is the bar to beat.
        if os.path.exists(ckpt_best):
            best_bleu = max(best_bleu, torch.load(ckpt_best, map_location="cpu")["dev"]["dev_bleu"])
    nparams = sum(p.numel() for p in params)
    log(f"model: {cfg['encoder_layers']}+{cfg['decoder_layers']} layers, d_model {cfg['d_model']}, "
        f"{nparams / 1e6:.2f}M parameters; corpus {len(src_len)} pairs "
        f"({int(single_word.sum())} single-word, keeping {args.single_word_keep:.0%} per epoch); hp {hp}")

    lr_at = Schedule(hp["lr"], hp["warmup"], args.lr_scale, anneal)
    if anneal:
        log(f"annealing: learning rate {lr_at.inverse_sqrt(anneal[0]):.2e} at step {anneal[0]} "
            f"falls linearly to 0 at step {anneal[1]}")

    stop = {"flag": False}

    def on_signal(signum, frame):
        stop["flag"] = True
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    def save_last():
        atomic_save({"model": model.state_dict(), "optimizer": opt.state_dict(), "config": cfg,
                     "args": hp, "step": step, "epoch": epoch, "batch_pos": batch_pos,
                     "best_bleu": best_bleu, "tokens_seen": tokens_seen,
                     "torch_rng": torch.get_rng_state()}, ckpt_last)

    def evaluate():
        nonlocal best_bleu
        t0 = time.time()
        loss = dev_loss(model, dev_src, dev_tgt, pad, cfg["decoder_start_token_id"])
        hyps = greedy_translate(model, tok, [dev_de[i] for i in bleu_idx])
        refs = [dev_en[i] for i in bleu_idx]
        b = bleu_score(hyps, refs)
        c = corpus_chrf(hyps, refs).score if corpus_chrf is not None else None
        rec = {"step": step, "epoch": epoch, "tokens_seen": tokens_seen, "dev_loss": round(loss, 4),
               "dev_ppl": round(math.exp(loss), 2), "dev_bleu": round(b, 2),
               "dev_chrf": round(c, 2) if c is not None else None,
               "eval_seconds": round(time.time() - t0, 1), "time": time.strftime("%Y-%m-%d %H:%M:%S")}
        with open(os.path.join(args.run, "metrics.jsonl"), "a", encoding="utf-8") as f:
            f.write(json.dumps(rec) + "\n")
        log(f"eval step {step}: dev loss {loss:.4f} ppl {math.exp(loss):.2f} greedy BLEU {b:.2f}"
            + (f" chrF {c:.2f}" if c is not None else "") + f" ({rec['eval_seconds']} s)")
        for i in range(3):
            log(f"  {dev_de[bleu_idx[i]]!r} -> {hyps[i]!r}")
        # Weights of every evaluated step, for checkpoint averaging at export.
        os.makedirs(os.path.join(args.run, "snapshots"), exist_ok=True)
        atomic_save({"model": model.state_dict(), "config": cfg, "step": step, "dev": rec},
                    os.path.join(args.run, "snapshots", f"step{step:06d}.pt"))
        if b > best_bleu:
            best_bleu = b
            atomic_save({"model": model.state_dict(), "config": cfg, "step": step, "dev": rec}, ckpt_best)
            log(f"  new best (BLEU {b:.2f}) -> {ckpt_best}")

    last_ckpt_time = time.time()
    t_log, tok_log, loss_log, n_log = time.time(), 0, 0.0, 0
    bench_t0, bench_tok = None, 0
    batches = epoch_batches(hp["seed"], epoch, src_len, tgt_len, hp["max_tokens"], hp["max_len"],
                            single_word=single_word, single_word_keep=args.single_word_keep)
    log(f"epoch {epoch}: {len(batches)} batches, starting at batch {batch_pos}")
    while not stop["flag"]:
        if batch_pos >= len(batches):
            epoch += 1
            batch_pos = 0
            batches = epoch_batches(hp["seed"], epoch, src_len, tgt_len, hp["max_tokens"], hp["max_len"],
                            single_word=single_word, single_word_keep=args.single_word_keep)
            log(f"epoch {epoch}: {len(batches)} batches")
        idx = batches[batch_pos]
        x, m, d, y, ntok = make_tensors(idx, src, src_off, tgt, tgt_off, pad, cfg["decoder_start_token_id"])
        for g in opt.param_groups:
            g["lr"] = lr_at(step + 1)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=args.bf16):
            logits = model(x, m, d)
        logits = logits.float()
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1), ignore_index=pad,
                               label_smoothing=hp["label_smoothing"], reduction="sum") / ntok
        opt.zero_grad(set_to_none=True)
        loss.backward()
        gnorm = torch.nn.utils.clip_grad_norm_(params, hp["clip"])
        opt.step()
        step += 1
        batch_pos += 1
        tokens_seen += ntok
        tok_log += ntok
        loss_log += float(loss)
        n_log += 1
        if args.bench:
            if step == 3:
                bench_t0, bench_tok, bench_c0 = time.time(), 0, time.process_time()
            elif bench_t0 is not None:
                bench_tok += ntok
            if step >= args.bench + 3:
                dt = time.time() - bench_t0
                cpu = time.process_time() - bench_c0
                print(f"bench: {args.bench} steps, {bench_tok / dt:.0f} target tokens/s, "
                      f"{dt / args.bench:.2f} s/step, {bench_tok / cpu:.0f} target tokens "
                      f"per CPU-second", flush=True)
                return
            continue
        if step % args.log_every == 0:
            dt = time.time() - t_log
            log(f"step {step} epoch {epoch} batch {batch_pos}/{len(batches)} loss {loss_log / n_log:.4f} "
                f"lr {lr_at(step):.2e} gnorm {float(gnorm):.2f} {tok_log / dt:.0f} tgt tok/s "
                f"seen {tokens_seen / 1e6:.2f}M")
            t_log, tok_log, loss_log, n_log = time.time(), 0, 0.0, 0
        if step % args.eval_every == 0:
            evaluate()
            t_log = time.time()
        if time.time() - last_ckpt_time > args.ckpt_minutes * 60:
            save_last()
            last_ckpt_time = time.time()
        if args.max_steps and step >= args.max_steps:
            break
    if args.bench:
        return
    save_last()
    log(f"stopped at step {step}; checkpoint written")


if __name__ == "__main__":
    main()
