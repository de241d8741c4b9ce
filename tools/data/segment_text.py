"""Text helpers every corpus source shares: Unicode and space normalisation,
the grouping key that keeps held-out sets disjoint, word counts."""

import re
import unicodedata


def normalize(s):
    s = unicodedata.normalize("NFC", s)
    s = s.replace("\u00a0", " ").replace("\u2009", " ").replace("\u202f", " ")
    s = s.replace("\u2019", "'").replace("\u2018", "'")
    s = s.replace("\u2026", "...")
    s = re.sub(r"\s+", " ", s)
    return s.strip()


def group_key(de):
    """Key used to keep held-out sets disjoint from training by source."""
    k = de.lower()
    k = re.sub(r"[^\w]+", " ", k)
    return k.strip()


def words(s):
    return s.split()
