"""Text in, text out with the PyTorch reference, in length-sorted batches."""

from typing import Callable, List, Optional

import torch


def source_scaled_limit(longest: int) -> int:
    """A max_length for translate_lines: twice the longest source plus 10, at most 256.

    Evaluation and training's dev BLEU use it so that a looping hypothesis
    costs little and both score the same outputs.
    """
    return min(256, 2 * longest + 10)


def translate_lines(model, tok, lines: List[str], num_beams: int, batch_size: int = 48,
                    max_length: Optional[Callable[[int], int]] = None,
                    margins: Optional[list] = None) -> List[str]:
    """The best hypothesis for each line, in input order.

    Lines are sorted by token count and decoded batch_size at a time; rows do
    not influence each other, so the grouping only changes speed.
    max_length: None = the model's max_length; otherwise a function of the
    batch's longest source (token count) giving that batch's limit.
    margins: if a list is passed, it receives each line's smallest decision
    margin (see MarianModel.generate's stats).
    """
    encoded = [tok.encode(s) for s in lines]
    order = sorted(range(len(lines)), key=lambda i: len(encoded[i]))
    out = [None] * len(lines)
    if margins is not None:
        margins[:] = [None] * len(lines)
    for start in range(0, len(order), batch_size):
        idx = order[start:start + batch_size]
        ids, mask = tok.encode_batch([lines[i] for i in idx])
        limit = None if max_length is None else max_length(max(len(encoded[i]) for i in idx))
        stats = {}
        hyps = model.generate(torch.tensor(ids), torch.tensor(mask), num_beams=num_beams,
                              max_length=limit, stats=stats)
        for row, i in enumerate(idx):
            out[i] = tok.decode(hyps[row][0].tokens)
            if margins is not None:
                margins[i] = stats["min_margin"][row]
    return out
