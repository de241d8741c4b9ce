#!/usr/bin/python3
"""Build a German->English parallel corpus from Debian packages.

Sources
  * the Ding dictionary (Debian package trans-de-en, GPL-2+): example
    sentences, phrases and single words;
  * German gettext catalogs (.mo) of a fixed list of Debian 12 packages,
    fetched with `apt-get download` and unpacked with `dpkg-deb -x`:
    English msgid -> German msgstr, reversed to German -> English.

Output (under --work, default tools/data/work/):
  train.{de,en}, dev.{de,en}, test.{de,en}  one segment per line
  {train,dev,test}.kind                      source label of each line
  sources.tsv                                package, version, licence, counts
and, with --write-heldout, the dev/test sets under tools/data/heldout/ and the
counts table tools/data/COUNTS.md.

Everything is deterministic for a given set of package versions: packages
are processed in a fixed order, pairs are deduplicated in that order and
shuffled with a fixed seed.
"""

import argparse
import collections
import hashlib
import os
import random
import re
import sys

from gettext_catalogs import GETTEXT_PACKAGES, read_gettext
from segment_text import group_key, normalize, words

HERE = os.path.dirname(os.path.abspath(__file__))
DING_PATH = "/usr/share/trans/de-en"
SEED = 20240611

MAX_CHARS = 300
MAX_WORDS = 60


# ---------------------------------------------------------------- Ding

DE_PLACEHOLDERS = [
    r"jdm\./jdn\.", r"jdn\./jdm\.", r"jdm\./etw\.", r"jdn\./etw\.",
    r"etw\./jdn\.", r"etw\./jdm\.", r"jdm\.", r"jdn\.", r"jds\.",
    r"etw\.", r"jd\.",
]
EN_PLACEHOLDERS = [
    r"sb\./sth\.'s", r"sth\./sb\.'s", r"sb\./sth\.", r"sth\./sb\.",
    r"sb\.'s", r"sth\.'s", r"sb\.", r"sth\.",
]
DE_PH_RE = re.compile(r"(?<!\w)(?:" + "|".join(DE_PLACEHOLDERS) + r")(?!\w)")
EN_PH_RE = re.compile(r"(?<!\w)(?:" + "|".join(EN_PLACEHOLDERS) + r")(?!\w)")


def strip_brackets(s):
    # {m} {f} {pl} {vt} [Am.] [ugs.] <Aalmolch> (notes); nested parens too.
    prev = None
    while prev != s:
        prev = s
        s = re.sub(r"\{[^{}]*\}", " ", s)
        s = re.sub(r"\[[^\[\]]*\]", " ", s)
        s = re.sub(r"<[^<>]*>", " ", s)
        s = re.sub(r"\([^()]*\)", " ", s)
    # abbreviations written /NPT/
    s = re.sub(r"(?:(?<=\s)|^)/[^/\s][^/]*/(?=\s|$|[;,.])", " ", s)
    return s


def clean_ding(s, lang):
    s = strip_brackets(s)
    s = (DE_PH_RE if lang == "de" else EN_PH_RE).sub(" ", s)
    s = normalize(s)
    s = re.sub(r"\s+([,.;:!?])", r"\1", s)
    s = re.sub(r"^[,;:]\s*|\s*[,;:]$", "", s).strip()
    # leftovers like unmatched brackets mean the entry was irregular
    if re.search(r"[{}\[\]<>()]", s):
        return ""
    return s


def ding_kind(de):
    n = len(words(de))
    if n >= 3 and re.search(r"[.!?]['\"\u201c\u201d\u00ab\u00bb]?$", de) and de[:1].isupper():
        return "ding-sentence"
    if n >= 2:
        return "ding-phrase"
    return "ding-word"


def split_synonyms(s):
    # split on "; " outside brackets, then clean each part
    parts, depth, cur = [], 0, []
    i = 0
    while i < len(s):
        c = s[i]
        if c in "([{<":
            depth += 1
        elif c in ")]}>":
            depth = max(0, depth - 1)
        if c == ";" and depth == 0 and s[i + 1:i + 2] == " ":
            parts.append("".join(cur))
            cur = []
            i += 2
            continue
        cur.append(c)
        i += 1
    parts.append("".join(cur))
    return parts


def read_ding(path, stats):
    pairs = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.startswith("#") or " :: " not in line:
                continue
            de_side, en_side = line.rstrip("\n").split(" :: ", 1)
            de_subs, en_subs = de_side.split(" | "), en_side.split(" | ")
            if len(de_subs) != len(en_subs):
                stats["ding_misaligned_lines"] += 1
                continue
            for d_sub, e_sub in zip(de_subs, en_subs):
                stats["ding_subentries"] += 1
                d_syn = [clean_ding(x, "de") for x in split_synonyms(d_sub)]
                e_syn = [clean_ding(x, "en") for x in split_synonyms(e_sub)]
                d_syn = [x for x in d_syn if x]
                e_syn = [x for x in e_syn if x]
                if not d_syn or not e_syn:
                    stats["ding_empty_after_cleaning"] += 1
                    continue
                if len(d_syn) == len(e_syn):
                    cand = list(zip(d_syn, e_syn))
                else:
                    # synonyms do not line up: every German variant (at most
                    # four) to the first English one
                    cand = [(d, e_syn[0]) for d in d_syn[:4]]
                for d, e in cand:
                    pairs.append((d, e, ding_kind(d), "trans-de-en"))
    return pairs


# ---------------------------------------------------------------- gettext

# ---------------------------------------------------------------- cleaning

def generic_filter(de, en, stats):
    if not de or not en:
        stats["drop_empty"] += 1
        return False
    if len(de) > MAX_CHARS or len(en) > MAX_CHARS:
        stats["drop_too_long"] += 1
        return False
    wd, we = len(words(de)), len(words(en))
    if wd > MAX_WORDS or we > MAX_WORDS:
        stats["drop_too_long"] += 1
        return False
    if not re.search(r"[^\W\d_]", de) or not re.search(r"[^\W\d_]", en):
        stats["drop_no_letters"] += 1
        return False
    if de.casefold() == en.casefold():
        stats["drop_identical"] += 1
        return False
    ld, le = len(de), len(en)
    if max(ld, le) > 12 and max(ld, le) / max(1, min(ld, le)) > 3.0:
        stats["drop_ratio"] += 1
        return False
    if max(wd, we) > 4 and max(wd, we) / max(1, min(wd, we)) > 3.0:
        stats["drop_ratio"] += 1
        return False
    return True


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", default=os.path.join(HERE, "work"))
    ap.add_argument("--ding", default=DING_PATH)
    ap.add_argument("--offline", action="store_true",
                    help="use only .deb files already under WORK/debs")
    ap.add_argument("--dev-size", type=int, default=1500)
    ap.add_argument("--test-size", type=int, default=1500)
    ap.add_argument("--max-per-source", type=int, default=2,
                    help="keep at most this many English variants per German segment")
    ap.add_argument("--write-heldout", action="store_true",
                    help="also write tools/data/heldout/ and tools/data/COUNTS.md")
    args = ap.parse_args()
    os.makedirs(args.work, exist_ok=True)

    stats = collections.Counter()
    sources = {}
    print("reading Ding dictionary ...", file=sys.stderr)
    ding = read_ding(args.ding, stats)
    print(f"  {len(ding)} candidate pairs", file=sys.stderr)
    print("reading gettext catalogs ...", file=sys.stderr)
    ui = read_gettext(args.work, GETTEXT_PACKAGES, args.offline, stats, sources)
    print(f"  {len(ui)} candidate pairs from {len(sources)} packages", file=sys.stderr)

    raw_by_kind = collections.Counter(k for _, _, k, _ in ding + ui)
    # Priority: sentences and UI strings first, then phrases, then words.
    order = {"ding-sentence": 0, "ui": 1, "ding-phrase": 2, "ding-word": 3}
    allpairs = sorted(ding + ui, key=lambda p: order[p[2]])  # stable
    seen = set()
    per_source = collections.Counter()
    kept = []
    for de, en, kind, src in allpairs:
        if not generic_filter(de, en, stats):
            stats["filtered_" + kind] += 1
            continue
        if (de, en) in seen:
            stats["dup_" + kind] += 1
            continue
        seen.add((de, en))
        if per_source[de] >= args.max_per_source:
            stats["extra_variant_" + kind] += 1
            continue
        per_source[de] += 1
        kept.append((de, en, kind, src))

    # group by normalized source; split whole groups
    groups = collections.OrderedDict()
    for p in kept:
        groups.setdefault(group_key(p[0]), []).append(p)
    keys = list(groups)
    rng = random.Random(SEED)
    rng.shuffle(keys)

    # held-out quotas per kind, so dev/test mix sentences, phrases, UI strings
    def quotas(n):
        q = {"ding-sentence": n // 3, "ui": n // 3, "ding-phrase": n // 5}
        q["ding-word"] = n - sum(q.values())
        return q

    dev_q, test_q = quotas(args.dev_size), quotas(args.test_size)
    dev, test, train = [], [], []
    for k in keys:
        g = groups[k]
        kind = g[0][2]
        # only single-translation groups are held out (clean references)
        if len(g) == 1 and dev_q.get(kind, 0) > 0:
            dev_q[kind] -= 1
            dev.extend(g)
        elif len(g) == 1 and test_q.get(kind, 0) > 0:
            test_q[kind] -= 1
            test.extend(g)
        else:
            train.extend(g)
    # also drop training pairs whose English side equals a held-out target
    # of a sentence/UI string (same segment reached via a different source)
    held_en = {en for _, en, kind, _ in dev + test if kind in ("ding-sentence", "ui")}
    before = len(train)
    train = [p for p in train if not (p[2] in ("ding-sentence", "ui") and p[1] in held_en)]
    stats["train_dropped_heldout_target"] = before - len(train)
    rng.shuffle(train)
    rng.shuffle(dev)
    rng.shuffle(test)

    for name, data in (("train", train), ("dev", dev), ("test", test)):
        with open(os.path.join(args.work, name + ".de"), "w", encoding="utf-8") as fd, \
             open(os.path.join(args.work, name + ".en"), "w", encoding="utf-8") as fe, \
             open(os.path.join(args.work, name + ".kind"), "w", encoding="utf-8") as fk:
            for de, en, kind, src in data:
                fd.write(de + "\n")
                fe.write(en + "\n")
                fk.write(f"{kind}\t{src}\n")

    split_counts = {}
    for name, data in (("train", train), ("dev", dev), ("test", test)):
        c = collections.Counter(k for _, _, k, _ in data)
        split_counts[name] = c
    src_counts = collections.Counter(s for _, _, _, s in train + dev + test)
    for pkg, info in sources.items():
        info["final"] = src_counts.get(pkg, 0)
    with open(os.path.join(args.work, "sources.tsv"), "w", encoding="utf-8") as f:
        f.write("package\tversion\tlicence\tcatalogs\tmessages\tparsed\tfinal\n")
        for pkg, i in sources.items():
            f.write(f"{pkg}\t{i['version']}\t{i['licence']}\t{i['catalogs']}\t"
                    f"{i['raw']}\t{i['parsed']}\t{i['final']}\n")

    digest = hashlib.sha256()
    for name in ("train", "dev", "test"):
        for lang in ("de", "en"):
            with open(os.path.join(args.work, f"{name}.{lang}"), "rb") as f:
                digest.update(f.read())
    print("sha256 of train/dev/test:", digest.hexdigest(), file=sys.stderr)
    for name, c in split_counts.items():
        print(f"  {name}: {sum(c.values())} {dict(c)}", file=sys.stderr)
    print("  stats:", dict(stats), file=sys.stderr)

    if args.write_heldout:
        write_heldout(dev, test)
        write_counts(stats, raw_by_kind, split_counts, sources, src_counts,
                     digest.hexdigest(), args)


def write_heldout(dev, test):
    hd = os.path.join(HERE, "heldout")
    os.makedirs(hd, exist_ok=True)
    for name, data in (("dev", dev), ("test", test)):
        with open(os.path.join(hd, name + ".de"), "w", encoding="utf-8") as fd, \
             open(os.path.join(hd, name + ".en"), "w", encoding="utf-8") as fe, \
             open(os.path.join(hd, name + ".kind"), "w", encoding="utf-8") as fk:
            for de, en, kind, src in data:
                fd.write(de + "\n")
                fe.write(en + "\n")
                fk.write(f"{kind}\t{src}\n")


def write_counts(stats, raw_by_kind, split_counts, sources, src_counts, digest, args):
    kinds = ["ding-sentence", "ding-phrase", "ding-word", "ui"]
    L = []
    L.append("# Corpus counts\n")
    L.append("Generated by `tools/data/build_corpus.py --write-heldout` "
             "(see `tools/data/README.md`). German → English.\n")
    L.append(f"SHA-256 over train/dev/test (.de then .en): `{digest}`\n")
    L.append("## Pairs per kind and split\n")
    L.append("| kind | candidates | train | dev | test |")
    L.append("| --- | ---: | ---: | ---: | ---: |")
    for k in kinds:
        L.append(f"| {k} | {raw_by_kind.get(k, 0)} | {split_counts['train'].get(k, 0)} | "
                 f"{split_counts['dev'].get(k, 0)} | {split_counts['test'].get(k, 0)} |")
    tot = {n: sum(c.values()) for n, c in split_counts.items()}
    L.append(f"| **total** | {sum(raw_by_kind.values())} | {tot['train']} | "
             f"{tot['dev']} | {tot['test']} |\n")
    L.append("Kinds: `ding-sentence` = example sentences of the Ding dictionary "
             "(≥3 words, capitalised, final punctuation); `ding-phrase` = multi-word "
             "entries; `ding-word` = single-word entries; `ui` = gettext messages.\n")
    L.append("## Dictionary (Debian package `trans-de-en`, GPL-2+)\n")
    L.append(f"- sub-entries read: {stats['ding_subentries']} "
             f"(misaligned lines skipped: {stats['ding_misaligned_lines']}, "
             f"empty after removing annotations: {stats['ding_empty_after_cleaning']})")
    L.append(f"- pairs in the final corpus: {src_counts.get('trans-de-en', 0)}\n")
    L.append("## gettext catalogs (German `.mo` files of Debian 12 packages)\n")
    L.append("| package | version | licence (debian/copyright) | messages | kept after UI filters | in corpus |")
    L.append("| --- | --- | --- | ---: | ---: | ---: |")
    for pkg, i in sources.items():
        lic = i["licence"].replace("|", "/")
        L.append(f"| {pkg} | {i['version']} | {lic} | {i['raw']} | {i['parsed']} | {i['final']} |")
    L.append(f"| **total** | | | {sum(i['raw'] for i in sources.values())} | "
             f"{sum(i['parsed'] for i in sources.values())} | "
             f"{sum(i['final'] for i in sources.values())} |\n")
    L.append("## Filters\n")
    L.append("| reason | pairs |")
    L.append("| --- | ---: |")
    for k in sorted(stats):
        if k.startswith("ding_"):
            continue
        L.append(f"| {k} | {stats[k]} |")
    L.append("")
    L.append(f"Held-out sets: dev {args.dev_size}, test {args.test_size} pairs, drawn by "
             "quota per kind from German segments that occur once in the corpus; "
             "no German segment (compared lower-cased, punctuation removed) of dev or "
             "test occurs in training, and training pairs of kind ding-sentence/ui whose "
             "English side equals a held-out reference were removed.\n")
    with open(os.path.join(HERE, "COUNTS.md"), "w", encoding="utf-8") as f:
        f.write("\n".join(L))


if __name__ == "__main__":
    main()
