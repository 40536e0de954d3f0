"""Where a wrong index answer hides from the random cases (issue 20, item 2), read from the
answer itself: the integer constants it writes (8 in ``(N-K-8)``, 81 in ``(G_i^2-81)``)
choose sizes at and next to each threshold, for every size it names as a number, and tensor
entries at 0, repeated, and beyond every constant (the random cases draw nonzero entries in
-9..9, where a factor such as ``1 + (G_i^2-1)...(G_i^2-81)`` is 1). These cases only refute:
an answer equal at all of them is judged as before.
"""
from __future__ import annotations

import numpy as np
import sympy as sp

from ...errors import DeriveError, ProofTimeout
from ...maths.zero import time_limit

LARGEST_THRESHOLD = 40      # integer constants beyond this are not sizes to reach
LARGEST_ENTRY = 1000        # entries reach one past the largest constant, up to this
BUDGET = 1.0                # seconds for building the extra cases of one answer
ROWS_FOR_ENTRIES = 3        # answer sizes that get the special entry draws


def _constants(answer) -> list[int]:
    return sorted({abs(int(a)) for a in answer.expr.atoms(sp.Integer)})


def refuting_rows(part, answer, rows: list[dict]) -> list[dict]:
    """Each size the answer names as a number set to every threshold and its neighbours,
    the other sizes as in the first answer size (smallest values first, known rows left out)."""
    names = {str(s) for s in answer.expr.free_symbols} & set(rows[0])
    values = sorted({c + k for c in _constants(answer) if c <= LARGEST_THRESHOLD for k in (-1, 0, 1)})
    out = []
    for value in values:
        for name in sorted(names):
            row = {**rows[0], name: value}
            if value >= 0 and row not in rows and row not in out:
                out.append(row)
    return out


def entry_draws(answer) -> list[np.ndarray]:
    """Entry sets: zeros and repeats ({-1, 0, 1}), -10..10, then every integer up to one
    past the largest constant the answer writes."""
    top = min(max([9] + _constants(answer)) + 1, LARGEST_ENTRY)
    draws = [np.array([-1, 0, 1]), np.arange(-10, 11)]   # small values first: simple witnesses
    return draws + ([np.arange(-top, top + 1)] if top > 10 else [])


def refuting_cases(part, answer, seed: int, make_case, rows: list[dict]) -> list:
    """The extra cases beside the answer sizes ``rows``, built within the budget by
    ``make_case(part, row, rng, entry_values)``; a size where the layer is not valid is
    skipped."""
    rng = np.random.default_rng(seed + 20)
    plans = [(row, draw) for row in rows[:ROWS_FOR_ENTRIES] for draw in entry_draws(answer)]
    plans += [(row, np.array([v for v in range(-9, 10) if v])) for row in refuting_rows(part, answer, rows)]
    built = []
    try:
        with time_limit(BUDGET):
            for row, draw in plans:
                try:
                    built.append(make_case(part, row, rng, draw))
                except (DeriveError, ArithmeticError, ValueError, TypeError, KeyError, IndexError, StopIteration):
                    continue
    except ProofTimeout:
        pass
    return built
