"""Adds options_reference.json to every reference fixture: what the
independent PyTorch generate() (marian_generate.py) gives with the decoding
options that reshape an output after the fact — repetition_penalty,
no_repeat_ngram_size and early_stopping — alone and together (the settings
of BART's CNN/DailyMail fine-tune: beam 4, no_repeat_ngram_size 3,
length_penalty 2, min_length, early_stopping).

Uses each fixture's stored weights and the sources of its reference.json
(with their forced first tokens: target language codes, BART's <s>), so
nothing is retrained; Marian fixtures load through marian_io, m2m_100 /
mbart / bart ones through fairseq_io, t5 / mt5 ones through t5_io. The
fixtures copy licence text, whose repeated words make these options change
outputs. Like make_fixtures.py it keeps a (case, sentence) pair only when
every decision has a margin of at least MIN_MARGIN, and writes the glossa
options beside the Hugging Face parameters. Usage:
  /usr/bin/python3 tools/reference/make_option_references.py --fixtures tests/reference/fixtures
      [--only tiny-bart]
"""

import argparse
import json
import os
import sys

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import torch  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fairseq_io  # noqa: E402
import marian_io  # noqa: E402
import t5_io  # noqa: E402
from make_fixtures import MIN_MARGIN, glossa_options, sig, write_json  # noqa: E402

BASE = {"num_beams": 1, "max_length": 64, "min_length": 0, "length_penalty": 1.0,
        "num_return_sequences": 1, "early_stopping": False, "repetition_penalty": 1.0,
        "no_repeat_ngram_size": 0}
CASES = [
    ("greedy_no_repeat_2", {"no_repeat_ngram_size": 2}),
    ("greedy_no_repeat_1", {"no_repeat_ngram_size": 1}),
    ("greedy_repetition_1.5", {"repetition_penalty": 1.5}),
    ("greedy_repetition_0.7", {"repetition_penalty": 0.7}),
    ("beam4_no_repeat_3", {"num_beams": 4, "num_return_sequences": 4, "no_repeat_ngram_size": 3}),
    ("beam4_repetition_1.3", {"num_beams": 4, "num_return_sequences": 2, "repetition_penalty": 1.3}),
    ("beam4_early_stopping", {"num_beams": 4, "num_return_sequences": 4, "early_stopping": True}),
    ("beam4_cnn_like", {"num_beams": 4, "num_return_sequences": 1, "no_repeat_ngram_size": 3,
                        "length_penalty": 2.0, "min_length": 8, "early_stopping": True}),
]


def load(model_dir: str):
    with open(os.path.join(model_dir, "config.json"), encoding="utf-8") as f:
        model_type = json.load(f).get("model_type", "marian")
    io = {"marian": marian_io, "t5": t5_io, "mt5": t5_io}.get(model_type, fairseq_io)
    model, _ = io.load_model_dir(model_dir)
    return model


def fixture_reference(model_dir: str) -> dict:
    model = load(model_dir)
    with open(os.path.join(model_dir, "reference.json"), encoding="utf-8") as f:
        sentences = json.load(f)["sentences"]
    cases = []
    kept = 0
    for name, overrides in CASES:
        params = dict(BASE, **overrides)
        options = dict(glossa_options(params), early_stopping=params["early_stopping"],
                       repetition_penalty=params["repetition_penalty"],
                       no_repeat_ngram_size=params["no_repeat_ngram_size"])
        results = []
        for index, sentence in enumerate(sentences):
            ids = torch.tensor([sentence["source_ids"]])
            stats = {}
            hyps = model.generate(ids, torch.ones_like(ids), num_beams=params["num_beams"],
                                  max_length=params["max_length"], min_length=params["min_length"],
                                  length_penalty=params["length_penalty"],
                                  num_return_sequences=params["num_return_sequences"],
                                  early_stopping=params["early_stopping"], stats=stats,
                                  forced_bos_token_id=sentence.get("forced_bos_token_id"),
                                  repetition_penalty=params["repetition_penalty"],
                                  no_repeat_ngram_size=params["no_repeat_ngram_size"])
            margin = stats["min_margin"][0]
            if margin < MIN_MARGIN:
                continue
            results.append({"sentence": index, "min_margin": sig(margin, 4), "hypotheses": [
                dict({"ids": h.tokens, "score": h.score},
                     **({"token_logprobs": h.token_logprobs} if h.token_logprobs is not None else {}))
                for h in hyps[0]]})
        kept += len(results)
        cases.append({"name": name, "params": params, "glossa_options": options, "results": results})
    print(f"{model_dir}: {kept} (case, sentence) pairs of {len(CASES) * len(sentences)} kept")
    return {"format_version": 1, "min_margin": MIN_MARGIN, "cases": cases}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--fixtures", required=True, help="the fixtures root")
    parser.add_argument("--only", help="write only this fixture's options_reference.json")
    args = parser.parse_args()
    torch.set_num_threads(1)
    for name in sorted(os.listdir(args.fixtures)):
        if args.only and name != args.only:
            continue
        model_dir = os.path.join(args.fixtures, name)
        if os.path.exists(os.path.join(model_dir, "reference.json")):
            write_json(os.path.join(model_dir, "options_reference.json"), fixture_reference(model_dir))


if __name__ == "__main__":
    main()
