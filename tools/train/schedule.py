"""The training learning-rate schedule, apart from PyTorch so that it can be tested alone.

Linear warm-up to the peak, inverse-square-root decay after it, and optionally
a linear anneal: from step FROM the rate falls in a straight line from its
value at FROM to zero at step TO. The inverse-square-root decay never gets
near zero, so the last weights keep the noise of large steps; the anneal is
the usual way to end a run once dev quality flattens.
"""

import math


def parse_anneal(text):
    """'FROM:TO' -> (FROM, TO); '' -> None. Raises ValueError with the reason."""
    if not text:
        return None
    parts = text.split(":")
    try:
        first, last = (int(p) for p in parts)
    except ValueError:
        raise ValueError(f"--anneal {text!r}: expected FROM:TO, two step numbers") from None
    if not 0 < first < last:
        raise ValueError(f"--anneal {text!r}: expected 0 < FROM < TO")
    return first, last


class Schedule:
    def __init__(self, peak, warmup, scale=1.0, anneal=None):
        self.peak, self.warmup, self.scale, self.anneal = peak, warmup, scale, anneal

    def inverse_sqrt(self, step):
        step = max(step, 1)
        return self.scale * self.peak * min(step / self.warmup, math.sqrt(self.warmup / step))

    def __call__(self, step):
        if self.anneal and step > self.anneal[0]:
            first, last = self.anneal
            return self.inverse_sqrt(first) * max(last - step, 0) / (last - first)
        return self.inverse_sqrt(step)
