"""The training corpus as token arrays and the batches drawn from it: the
cached, packed encoding of train.{de,en}, the per-epoch thinning of
single-word pairs, length-bucketed batches under a token budget, and the
tensors of one batch. Used by train.py."""

import os

import numpy as np
import torch


def read_lines(path):
    with open(path, encoding="utf-8") as f:
        return [line.rstrip("\n") for line in f]


def pack(seqs):
    lens = np.array([len(s) for s in seqs], dtype=np.int32)
    offs = np.zeros(len(seqs) + 1, dtype=np.int64)
    np.cumsum(lens, out=offs[1:])
    return np.concatenate(seqs) if seqs else np.zeros(0, np.int16), offs


def load_corpus(run, data_dir, enc, log):
    cache = os.path.join(run, "data.npz")
    src_path, tgt_path = os.path.join(data_dir, "train.de"), os.path.join(data_dir, "train.en")
    stamp = f"{os.path.getsize(src_path)}:{os.path.getsize(tgt_path)}"
    if os.path.exists(cache):
        z = np.load(cache)
        if str(z["stamp"]) == stamp:
            return z["src"], z["src_off"], z["tgt"], z["tgt_off"]
    log("tokenizing the training corpus ...")
    src, src_off = pack(enc.encode_lines(read_lines(src_path)))
    tgt, tgt_off = pack(enc.encode_lines(read_lines(tgt_path)))
    np.savez(cache, src=src, src_off=src_off, tgt=tgt, tgt_off=tgt_off, stamp=np.array(stamp))
    return src, src_off, tgt, tgt_off


def single_word_sources(enc, src, src_off):
    """Mask of the pairs whose source is one word (one piece opens a word)."""
    opens_word = np.zeros(len(enc.vocab), dtype=np.int32)
    for piece, i in enc.vocab.items():
        if piece.startswith("\u2581"):
            opens_word[i] = 1
    return np.add.reduceat(opens_word[src], src_off[:-1]) <= 1


def epoch_batches(seed, epoch, src_len, tgt_len, max_tokens, max_len, chunk=40000,
                  single_word=None, single_word_keep=1.0):
    """Batches (arrays of example indices) of one epoch, a function of
    (seed, epoch): shuffle, sort chunks by length, cut by padded token count,
    shuffle the batches. With single_word_keep < 1, only that (random, per
    epoch) fraction of the single-word pairs takes part."""
    rng = np.random.RandomState(seed * 1000 + epoch)
    eligible = (src_len <= max_len) & (tgt_len <= max_len)
    if single_word is not None and single_word_keep < 1.0:
        thin = np.random.RandomState(seed * 1000 + epoch + 500).rand(len(src_len))
        eligible &= ~single_word | (thin < single_word_keep)
    keep = np.nonzero(eligible)[0]
    order = keep[rng.permutation(len(keep))]
    batches = []
    for c in range(0, len(order), chunk):
        idx = order[c:c + chunk]
        idx = idx[np.lexsort((src_len[idx], tgt_len[idx]))]
        start = 0
        longest = 0
        for i in range(len(idx)):
            longest_i = max(longest, src_len[idx[i]], tgt_len[idx[i]])
            if (i - start + 1) * longest_i > max_tokens and i > start:
                batches.append(idx[start:i])
                start, longest = i, max(src_len[idx[i]], tgt_len[idx[i]])
            else:
                longest = longest_i
        batches.append(idx[start:])
    perm = rng.permutation(len(batches))
    return [batches[i] for i in perm]


def make_tensors(idx, src, src_off, tgt, tgt_off, pad, start):
    rows = len(idx)
    s_lens = [int(src_off[i + 1] - src_off[i]) for i in idx]
    t_lens = [int(tgt_off[i + 1] - tgt_off[i]) for i in idx]
    S, T = max(s_lens), max(t_lens)
    x = np.full((rows, S), pad, dtype=np.int64)
    mask = np.zeros((rows, S), dtype=np.int64)
    y = np.full((rows, T), pad, dtype=np.int64)
    for r, i in enumerate(idx):
        x[r, :s_lens[r]] = src[src_off[i]:src_off[i + 1]]
        mask[r, :s_lens[r]] = 1
        y[r, :t_lens[r]] = tgt[tgt_off[i]:tgt_off[i + 1]]
    dec_in = np.full((rows, T), pad, dtype=np.int64)
    dec_in[:, 0] = start
    dec_in[:, 1:] = y[:, :-1]
    # positions after the end of a shorter target get pad as input; they are
    # ignored by the loss and never attended to by earlier positions
    return (torch.from_numpy(x), torch.from_numpy(mask), torch.from_numpy(dec_in),
            torch.from_numpy(y), sum(t_lens))


# ------------------------------------------------------------------ evaluation
