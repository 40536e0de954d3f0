"""Where to look beyond the part's random points, chosen from the answer itself:

* every size from the smallest up to at least 12 for each size the answer uses as a
  number (``C - 2``, ``[C = 7]``, ``t(t-1)``, a sum up to ``n``);
* both sides of every breakpoint of a piecewise piece (Heaviside, relu, abs, sign,
  floor/ceil, min/max, Iverson brackets) of either side, at offsets 1e-1 down to 1e-6;
* large magnitudes (|x| up to 60) of every unbounded real variable;
* where answers hide (issue 20), read from the answer itself: a size or an integer variable
  at and just beyond every integer threshold it writes (13 in ``\\sum_{i=13}^m``, 9 in
  ``[K = 9]``); real variables at the scale of every large
  constant (1e-9 for ``tanh(10^9 x)``), at rationals with odd denominators where it has
  floor or a periodic function, and at negative bases under a symbolic power; labels up to
  the number of classes. At these probes an undefined answer is no counterexample (a single
  point may be removable); a differing value is.

Each set of points is a :class:`~derive.answers.equivalence.Batch` like the random ones,
so the float pass, the precise decision and the diagnosis treat them alike.
"""
from __future__ import annotations

import itertools
from fractions import Fraction

import numpy as np
import sympy as sp

from ...errors import ProofTimeout
from ...maths.zero import time_limit
from ...model.domains import Interval, OneHot, Simplex, StepCount, StepSize, SymmetricPositiveDefinite
from .equivalence import Batch, Target, stack_points
from ..read.nodes import Call, Iverson, Name, Neg, Num, Pow, walk

LARGEST_TESTED_SIZE = 12
POINTS_PER_EXTRA_SIZE = 4
OFFSETS = (1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6)
MAGNITUDES = (10.0, 30.0, 60.0)
COMPILE_BUDGET = 1.5      # seconds to build the expected result at one more size
PIECEWISE_CALLS = ("heaviside", "relu", "abs", "sign", "floor", "ceil", "max", "min")
LARGEST_THRESHOLD = 40    # integer constants beyond this are scales, not sizes to reach
LARGE_SCALE = 100         # a constant this large sets a scale (10^9 in tanh(10^9 x))
PERIODIC_CALLS = ("floor", "ceil", "sin", "cos", "tan", "sec", "csc", "cot")


def answer_constants(answer) -> tuple[list[int], list[float]]:
    """The integer thresholds (|c| <= 40) and the large scales the answer writes: the
    numbers in its tree, powers of numbers folded (2^{100}, 10^{-9})."""
    thresholds, scales = set(), set()
    for node in walk(answer.tree):
        value = _number(node)
        if value is None:
            continue
        if value.denominator == 1 and abs(value) <= LARGEST_THRESHOLD:
            thresholds.add(int(value))
        elif value != 0 and (abs(value) >= LARGE_SCALE or abs(value) <= 1 / LARGE_SCALE):
            scales.add(float(max(abs(value), 1 / abs(value))))
    return sorted(thresholds), sorted(s for s in scales if s < 1e300)


def answer_shapes(answer) -> tuple[bool, bool]:
    """Whether the answer raises to a symbolic power (a^{bc}: negative bases matter) and
    whether it has floor, ceil or a periodic function (binary floats hide a difference)."""
    powers = any(isinstance(n, Pow) and any(isinstance(m, Name) for m in walk(n.exp))
                 for n in walk(answer.tree))
    periodic = any(isinstance(n, Call) and n.func in PERIODIC_CALLS for n in walk(answer.tree))
    return powers, periodic


def _number(node):
    if isinstance(node, Num):
        return node.value
    if isinstance(node, Pow):
        base, exp = _number(node.base), _number(node.exp)
        if base is not None and exp is not None and exp.denominator == 1 and abs(exp) <= 1000 and base != 0:
            return base ** int(exp)
    if isinstance(node, Neg) and isinstance(node.x, (Num, Pow)):
        inner = _number(node.x)
        return -inner if inner is not None else None
    return None


def beyond_thresholds(thresholds: list[int], low: int) -> list[int]:
    """Each threshold and its neighbours above 12 (sizes up to 12 are swept already)."""
    return sorted({c + k for c in thresholds for k in (-1, 0, 1)
                   if LARGEST_TESTED_SIZE < c + k <= LARGEST_THRESHOLD + 1 and c + k >= low})


def sizes_used_as_numbers(answer, part=None) -> list[str]:
    """Sizes the answer names as numbers (C in C - 2), as opposed to only through shapes,
    and the class count K of labels the answer uses (a label compared with 5 matters once
    K reaches 5, so K is swept past the answer's constants as a named size is)."""
    sizes = {e.name for e in answer.vocabulary.entries if e.role == "size"}
    named = {n.name for n in walk(answer.tree) if isinstance(n, Name)} & sizes
    if part is not None:
        used = set(answer.names)
        named |= {v.domain.label_size for v in part.variables
                  if v.name in used and getattr(v.domain, "label_size", None)}
    return sorted(named)


def size_sweep(part, used: list[str], thresholds: tuple = ()) -> list[dict]:
    """For each used size, every value from its smallest up to 12 with the others at the
    smallest proof size, then at the answer's thresholds beyond 12; then all dimensions
    moving together (N and K of a convolution)."""
    proof = part.proof_sizes()
    if proof == [{}] or not used:
        return []
    smallest = min(proof, key=lambda s: (sum(s.values()), list(s.values())))
    out: list[dict] = []
    for d in used:
        if d not in smallest:
            continue
        low = min(s[d] for s in proof)
        for value in range(low, max(LARGEST_TESTED_SIZE, max(s[d] for s in proof)) + 1):
            out.append({**smallest, d: value})
        for value in beyond_thresholds(list(thresholds), low):
            out.append({**smallest, d: value})
    if len([d for d in used if d in smallest]) > 1:   # sizes the answer ties together (N - K)
        largest = max(proof, key=lambda s: sum(s.values()))
        step = 1
        while max(largest[d] + step for d in used if d in largest) <= LARGEST_TESTED_SIZE:
            out.append({d: n + step if d in used else n for d, n in largest.items()})
            step += 1
    unique = []
    for s in out:
        if s not in unique:
            unique.append(s)
    return unique


def sweep_batches(tgt: Target, seed: int, used: list[str], thresholds: tuple = ()) -> list[Batch]:
    """The size sweep's batches (cached per target, seed and sizes): sizes whose expected
    result takes too long to build are left out, and the evidence says which were tested."""
    key = ("sweep", seed, tuple(used), tuple(thresholds))
    if key in tgt._compiled:
        return tgt._compiled[key]
    rng = np.random.default_rng(seed + 7)
    out, given_up = [], set()
    planned = [b.sizes for b in tgt.batches(seed)]
    for sizes in size_sweep(tgt.part, used, thresholds):
        if sizes in planned:
            continue
        moved = tuple(sorted(sizes.items()))
        if any(d in given_up for d in sizes):
            continue
        try:
            with time_limit(COMPILE_BUDGET):
                tgt.compiled(sizes)
            points = [tgt.part.sample(rng, sizes) for _ in range(POINTS_PER_EXTRA_SIZE)]
            batch = Batch(dict(sizes), points, stack_points(tgt.vocab, points))
            batch.expected = tgt.evaluate(sizes, points)
        except ProofTimeout:
            given_up.update(d for d, n in moved if n >= 2)   # larger sizes only take longer
            continue
        except (ValueError, ArithmeticError, TypeError, KeyError, IndexError, np.linalg.LinAlgError):
            continue
        out.append(batch)
    tgt._compiled[key] = out
    return out


# --------------------------------------------------------------------------- breakpoints
def movable(var) -> bool:
    """Variables whose value a breakpoint or magnitude point may set freely."""
    return var.definition is None and not isinstance(
        var.domain, (OneHot, Simplex, SymmetricPositiveDefinite, StepCount))


def _allowed(var, value: float) -> bool:
    d = var.domain
    if isinstance(d, Interval):
        return d.low < value < d.high
    if isinstance(d, StepSize):
        return True
    assumptions = dict(d.assumptions)
    if assumptions.get("positive") and value <= 0:
        return False
    if assumptions.get("nonzero") and value == 0:
        return False
    if assumptions.get("integer") and value != int(value):
        return False
    return True


def _unbounded(var) -> bool:
    d = var.domain
    return movable(var) and not isinstance(d, (Interval, StepSize)) and not dict(d.assumptions).get("integer")


def _answer_pieces(answer, ns) -> list:
    """SymPy forms of the answer's piecewise arguments (g = 0 is a breakpoint)."""
    out = []
    for node in walk(answer.tree):
        exprs = []
        if isinstance(node, Call) and node.func in PIECEWISE_CALLS:
            if node.func in ("max", "min") and len(node.args) > 1:
                exprs = [(node.args[0], node.args[k]) for k in range(1, len(node.args))]
            elif node.func not in ("max", "min"):
                exprs = [(node.args[0], None)]
        elif isinstance(node, Iverson):
            exprs = [(node.a, node.b)]
        for a, b in exprs:
            try:
                ga = _subtree_sympy(answer, a, ns)
                gb = _subtree_sympy(answer, b, ns) if b is not None else sp.S.Zero
                if isinstance(ga, sp.MatrixBase) or isinstance(gb, sp.MatrixBase):
                    continue
                out.append((ga - gb, node.func if isinstance(node, Call) else "iverson"))
            except Exception:  # a piece SymPy cannot build only loses its breakpoints
                continue
    return out


def _subtree_sympy(answer, node, ns):
    from ..read.answer import Answer
    sub = Answer(answer.text, answer.syntax, node, answer.vocabulary, answer.free_indices,
                 answer.index_ranges, answer.spelled)
    if answer.free_indices:
        raise ValueError("component answers: breakpoints of indexed pieces are not solved")
    return sub.to_sympy(ns.objects, ns.sizes)


def _expected_pieces(expr) -> list:
    out = []
    items = list(expr) if isinstance(expr, sp.MatrixBase) else [expr]
    for item in items:
        if not isinstance(item, sp.Basic):
            continue
        for node in sp.preorder_traversal(item):
            if isinstance(node, (sp.Heaviside, sp.Abs, sp.sign)) or type(node).__name__ == "relu":
                out.append((node.args[0], "step"))
            elif isinstance(node, (sp.floor, sp.ceiling)):
                out.append((node.args[0], "floor"))
            elif isinstance(node, (sp.Max, sp.Min)):
                args = node.args
                out += [(args[0] - a, "max") for a in args[1:]]
            elif isinstance(node, sp.Piecewise):
                for _, cond in node.args:
                    if isinstance(cond, sp.core.relational.Relational):
                        out.append((cond.lhs - cond.rhs, "piecewise"))
    return out


def breakpoint_batches(answer, tgt: Target, base: list[Batch], budget: float = 1.0,
                       swept: list[Batch] = ()) -> list[Batch]:
    """Points at the answer's constants, on both sides of every breakpoint of either side,
    and at large magnitudes. The constants' points come first and outside the time budget
    (solving for breakpoints may use all of it); they are taken at the base sizes and at the
    swept sizes that equal one of the answer's integer constants (K = 5 for a label 5)."""
    part = tgt.part
    out = []
    constants = answer_constants(answer) + answer_shapes(answer)
    distinct = [b for k, b in enumerate(base) if all(b.sizes != a.sizes for a in base[:k])][:4]
    integers = set(constants[0])
    distinct += [b for b in swept if any(n in integers for n in b.sizes.values())][:4]
    for batch in distinct:   # each size once: the largest K allows the most labels
        points = [p for base_point in batch.points[:1]
                  for p in _at_constants(part, base_point, *constants, sizes=batch.sizes)]
        points = [p for p in points if p is not None]
        if points:
            try:
                b = Batch(dict(batch.sizes), points, stack_points(tgt.vocab, points), both_defined=True)
                b.expected = tgt.evaluate(batch.sizes, points)
                out.append(b)
            except (ValueError, ArithmeticError, np.linalg.LinAlgError):
                continue
    # Offsets at the answer's own scales too (heaviside(x - 1 - 10^{-9}): 5e-10 and 2e-9, never
    # landing on the other breakpoint itself).
    offsets = OFFSETS + tuple(d / scale for scale in constants[1] for d in (0.5, 2.0))
    try:
        with time_limit(budget):
            for batch in base[:2]:
                ns = part.namespace(batch.sizes)
                _, _, _, expr = tgt.compiled(batch.sizes)
                pieces = _answer_pieces(answer, ns) + _expected_pieces(expr)
                points = []
                owner = _symbol_owner(part, ns)
                for base_point in batch.points[:2]:
                    for g, kind in pieces:
                        points += _around_breakpoint(part, base_point, g, kind, owner, offsets)
                    points += _large(part, base_point)
                points = [p for p in points if p is not None]
                if points:
                    try:
                        b = Batch(dict(batch.sizes), points, stack_points(tgt.vocab, points))
                        b.expected = tgt.evaluate(batch.sizes, points)
                        out.append(b)
                    except (ValueError, ArithmeticError, np.linalg.LinAlgError):
                        continue
    except ProofTimeout:
        pass
    return out


def _symbol_owner(part, ns) -> dict:
    """Scalar symbol -> (variable, flat index) for movable variables."""
    owner = {}
    for var in part.variables:
        if not movable(var):
            continue
        obj = ns.objects[var.name]
        for k, sym in enumerate(list(obj) if isinstance(obj, sp.MatrixBase) else [obj]):
            owner[sym] = (var, k)
    return owner


def with_entry(part, point: dict, var, k: int, value: float) -> dict | None:
    """The point with one entry of a variable set, defined variables recomputed."""
    if not _allowed(var, value):
        return None
    out = {}
    for v in part.variables:
        if v.numeric is not None:
            out[v.name] = np.asarray(v.numeric(out), dtype=float)
            continue
        x = point[v.name]
        if v is var:
            x = np.array(x, dtype=float, copy=True)
            if x.ndim == 0:   # a Fraction stays exact for the precise decision
                x = value if isinstance(value, Fraction) else float(value)
            else:
                x.reshape(-1)[k] = value
        out[v.name] = x
    for key, value in point.items():
        out.setdefault(key, value)
    return out


def _around_breakpoint(part, point, g, kind, owner, offsets=OFFSETS) -> list:
    out = []
    values = _point_subs(part, point)
    for sym in sorted(g.free_symbols & set(owner), key=lambda s: s.name):
        var, k = owner[sym]
        rest = {s: v for s, v in values.items() if s != sym}
        h = g.xreplace({s: sp.Float(v, 17) for s, v in rest.items()})
        targets = [0]
        if kind in ("floor", "ceil"):
            try:
                now = float(h.xreplace({sym: sp.Float(values[sym], 17)})) if sym in values else 0.0
            except TypeError:   # no numeric value (a function SymPy cannot evaluate): no breakpoints
                continue
            targets = [np.floor(now), np.floor(now) + 1]
        # Solve in a plain real symbol: a breakpoint at 0 of a variable declared nonzero
        # is still where the function changes.
        free = sp.Dummy("x", real=True)
        h = h.xreplace({sym: free})
        for level in targets:
            try:
                roots = sp.solve(sp.Eq(h, level), free)
            except (NotImplementedError, ValueError, TypeError):
                continue
            for r in roots[:4]:
                if not r.is_real and not getattr(r, "is_number", False):
                    continue
                try:
                    b = float(r)
                except TypeError:
                    continue
                for d in offsets:
                    for side in (-1, 1):
                        out.append(with_entry(part, point, var, k, b + side * d * max(1.0, abs(b))
                                         if abs(b) > 1 else b + side * d))
    return out


def _point_subs(part, point) -> dict:
    ns = part.namespace({d: n for d, n in _sizes_of(part, point).items()})
    out = {}
    for var in part.variables:
        obj = ns.objects[var.name]
        flat = np.asarray(point[var.name], dtype=float).reshape(-1)
        for sym, v in zip(list(obj) if isinstance(obj, sp.MatrixBase) else [obj], flat):
            out.setdefault(sym, float(v))
    return out


def _sizes_of(part, point) -> dict:
    sizes = {}
    for var in part.variables:
        for d, n in zip(var.shape, np.shape(point[var.name])):
            if isinstance(d, str):
                sizes[d] = n
    for d in part.sizes:
        if d not in sizes and d in point:
            sizes[d] = int(point[d])
        elif d not in sizes:
            sizes[d] = min(part.sizes[d])
    return sizes


def _large(part, point) -> list:
    out = []
    for var in part.variables:
        if not _unbounded(var):
            continue
        x = np.asarray(point[var.name], dtype=float)
        positive = dict(var.domain.assumptions).get("positive")
        for m in MAGNITUDES:
            for sign in ((1,) if positive else (1, -1)):
                if x.ndim == 0:
                    out.append(with_entry(part, point, var, 0, sign * m))
                else:
                    scaled = sign * m * x / max(1e-12, float(np.max(np.abs(x))))
                    p = point
                    for k, v in enumerate(scaled.reshape(-1)):
                        p = with_entry(part, p, var, k, float(v)) if p is not None else None
                    out.append(p)
    return out


def _at_constants(part, point, thresholds: list[int], scales: list[float], powers: bool = False,
                  periodic: bool = False, sizes: dict | None = None) -> list:
    """Integer variables at and next to each threshold the answer writes ([K = 9]: K = 8, 9,
    10); real scalars at the scale of each large constant (tanh(10^9 x): x = ±1e-9, ±3e-9), at rationals with
    odd denominators where the answer has floor or a periodic function (floats are binary:
    sin(2^60 pi x) is 0 at each), and, where it raises to a symbolic power, all together at
    negative bases and odd-denominator exponents (a = -1, b = 2, c = 1/2); labels at every
    class the answer names and the largest, where the domain says how many there are."""
    out = []
    reals = []
    for var in part.variables:
        if not movable(var):
            continue
        if np.ndim(point[var.name]) != 0:
            out += _labels(part, point, var, thresholds, sizes or {})
            continue
        if dict(var.domain.assumptions).get("integer"):
            for value in sorted({c + k for c in thresholds for k in (-1, 0, 1)}):
                out.append(with_entry(part, point, var, 0, float(value)))
            continue
        # Not at the thresholds themselves: for a real variable a value differing at a single
        # point (a breakpoint's convention, [x = 2]) is a difference on a set of measure zero.
        reals.append(var)
        for scale in scales:
            for value in (1 / scale, 3 / scale):
                out += [with_entry(part, point, var, 0, value), with_entry(part, point, var, 0, -value)]
        if periodic or scales:
            out += [with_entry(part, point, var, 0, v) for v in ODD_RATIONALS]
    if powers and reals:
        for values in itertools.islice(itertools.product(SIMPLE_BASES, repeat=len(reals)), MAX_COMBINATIONS):
            p = point
            for var, v in zip(reals, values):
                p = with_entry(part, p, var, 0, v) if p is not None else None
            out.append(p)
    return out


def _labels(part, point, var, thresholds, sizes) -> list:
    """A labels vector (a domain with ``label_size``, e.g. K classes) with its first entry,
    then all entries, at each label 1..K the answer names and at K itself: the sampler may
    draw fewer classes than the part allows."""
    count = sizes.get(getattr(var.domain, "label_size", None))
    if not count:
        return []
    out = []
    for label in sorted({c for c in thresholds if 1 <= c <= count} | {int(count)}):
        out.append(with_entry(part, point, var, 0, float(label)))
        p = point
        for k in range(np.size(point[var.name])):
            p = with_entry(part, p, var, k, float(label)) if p is not None else None
        out.append(p)
    return out


SMALL = 12
ODD_RATIONALS = (Fraction(1, 3), Fraction(-2, 7), Fraction(5, 3))
# Binary fractions (exact as floats), so the float pass sees these points as it sees the rest.
SIMPLE_BASES = (-1.0, 2.0, 0.5, -1.5, -0.5)
MAX_COMBINATIONS = 125


def is_rational_point(point: dict) -> bool:
    """A point with an odd-denominator rational value: floats cannot tell it from its
    rounding, so the precise decision looks at it whatever the floats say."""
    return any(isinstance(v, Fraction) for v in point.values())


def complexity(point: dict) -> int:
    """How hard a point is to read: 0 for small integers, 1 for simple fractions, 2 for a
    scalar float, 3 for a vector; counterexamples are chosen simplest first."""
    score = 0
    for v in point.values():
        if np.ndim(v) != 0:
            score += 3
            continue
        x = Fraction(v) if isinstance(v, Fraction) else Fraction(float(v))
        score += 0 if x.denominator == 1 and abs(x) <= SMALL else 1 if x.denominator <= 9 else 2
    return score
