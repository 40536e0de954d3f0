"""Is a parsed answer equal to a part's expected result on the part's domain?

Two kinds of evidence:

* numeric, always: the part's own sampler draws consistent random points (s = softmax(z),
  one-hot y, 0 < p < 1, SPD H) at several sizes; the answer's tree is evaluated on them in
  NumPy and compared with the expected result, lambdified once per part, size and seed;
* exact, where cheap: the answer is rebuilt in SymPy at the smallest proof size and the
  difference is proved zero (definitions and domain constraints substituted) within a small
  time budget.

A mismatch at any point is decisive (status incorrect); equality at every point with no
proof is reported as tested, not proved.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np
import sympy as sp

from ...model.part import Part
from ...verify.numeric import NUMPY_FUNCTIONS, compile_numpy
from ...errors import DeriveError
from ..read.index_parse import IndexAnswer, IndexVocabulary, parse_index_answer, vocabulary_for
from ..read.parse import Answer, parse_answer
from ..read.vocabulary import Vocabulary

# Both sides are float64 evaluations of the same quantity through at most a few hundred
# operations on O(1) numbers (the samplers keep values within about 1e-2 .. 1e2), so honest
# round-off stays below ~1e-12 relative; 1e-8 leaves four orders of margin, while a wrong
# answer differs at a random point by O(1) relative to the values.
TOLERANCE = 1e-8
POINTS_PER_SIZE = 8
SIZE_CONFIGS = 3
# Candidate values of an inequality's variable closer than this (relative) to a boundary
# are not compared: the two sides may round differently there.
BOUNDARY_MARGIN = 1e-6


_VOCABULARIES: dict[str, tuple] = {}
_TARGETS: dict[str, tuple] = {}


def vocabulary(part: Part) -> Vocabulary:
    hit = _VOCABULARIES.get(part.id)
    if hit is None or hit[0] is not part:   # a re-registered part gets a fresh entry
        # A part's sizes may include symbols no shape uses (a step count t): names too.
        hit = _VOCABULARIES[part.id] = (part, Vocabulary.from_variables(part.variables,
                                                                        sizes=list(part.sizes)))
    return hit[1]


def is_index_part(part: Part) -> bool:
    """A part whose variables are tensors is answered in index notation."""
    return any(getattr(v, "is_tensor", False) for v in part.variables)


def index_vocabulary(part: Part) -> IndexVocabulary:
    """The index-notation vocabulary of a tensor part: its tensors, sizes and the expected
    answer's free indices."""
    hit = _INDEX_VOCABULARIES.get(part.id)
    if hit is None or hit[0] is not part:
        free = tuple(str(x) for x in getattr(part.result, "free", ()))
        hit = _INDEX_VOCABULARIES[part.id] = (part, vocabulary_for(part.variables, list(part.sizes), free))
    return hit[1]


_INDEX_VOCABULARIES: dict = {}
_SLIPS: dict = {}


def declared_slips(part: Part) -> list[tuple[Any, Answer | IndexAnswer]]:
    """The part's declared slips (Part.slips) with their parsed answers, parsed once, in the
    notation the part is answered in (index notation for a tensor part); a slip outside the
    answer language can never be matched and is left out."""
    hit = _SLIPS.get(part.id)
    if hit is None or hit[0] is not part:
        parsed = []
        for slip in getattr(part, "slips", ()):
            try:
                parsed.append((slip, parse_index_answer(slip.answer, index_vocabulary(part))
                               if is_index_part(part) else parse_answer(slip.answer, vocabulary(part))))
            except (DeriveError, RecursionError):
                continue
        hit = _SLIPS[part.id] = (part, parsed)
    return hit[1]


def size_plan(part: Part, rng: np.random.Generator) -> list[dict[str, int]]:
    """A few of the part's proof sizes (the sizes its author made SymPy-buildable): the
    smallest, the smallest whose dimensions are all different and above 1 (so a transposed
    or mis-sized answer cannot pass by coincidence), then the next smallest. Small sizes
    also keep the expected result cheap to compile and counterexamples readable."""
    sizes = [dict(s) for s in part.proof_sizes()]
    if sizes == [{}]:
        return [{}]
    ordered = sorted(sizes, key=lambda s: (sum(s.values()), list(s.values())))
    plans = [ordered[0]]
    distinct = [s for s in ordered if len(set(s.values())) == len(s) and min(s.values()) >= 2]
    for s in distinct[:1] + ordered:
        if len(plans) >= SIZE_CONFIGS:
            break
        if s not in plans:
            plans.append(s)
    return plans


@dataclass
class Batch:
    """B sampled points at one size: per-point dicts and the (B, rows, cols) arrays."""
    sizes: dict
    points: list            # list of {name: value} as the sampler gave them
    arrays: dict            # name -> (B, rows, cols)
    expected: np.ndarray | None = None   # (B, r, c) floats, or booleans for a relation
    # Probe points (an answer's own constants, exactly): a single point may be a removable
    # one, so an answer undefined there is no counterexample; only differing values are.
    both_defined: bool = False


class Target:
    """The expected result of a part, compiled per size for fast NumPy evaluation."""

    def __init__(self, part: Part):
        self.part = part
        self.vocab = vocabulary(part)
        self._compiled: dict[tuple, Any] = {}
        self._batches: dict[int, list[Batch]] = {}
        self.is_relation = None

    def compiled(self, sizes: Mapping[str, int]):
        key = tuple(sorted(sizes.items()))
        if key not in self._compiled:
            ns = self.part.namespace(sizes)
            expr = self.part.result(ns)
            relation = isinstance(expr, (sp.logic.boolalg.Boolean,)) and not isinstance(expr, sp.Expr)
            self.is_relation = relation
            if isinstance(expr, sp.MatrixBase):
                shape, flat = expr.shape, list(expr)
            else:
                shape, flat = (1, 1), [expr]
            symbols = ns.symbols()
            fn = compile_fast(symbols, flat)
            self._compiled[key] = (fn, shape, ns, expr)
        return self._compiled[key]

    def evaluate(self, sizes, points: list[dict]) -> np.ndarray:
        fn, shape, ns, _ = self.compiled(sizes)
        columns = _symbol_columns(self.part, points)
        with np.errstate(all="ignore"):
            flat = fn(*columns)
        out = np.stack([np.broadcast_to(_real(v), (len(points),)) for v in flat], axis=1)
        return out.reshape(len(points), *shape)

    def batches(self, seed: int) -> list[Batch]:
        """The sampled points for a seed, with expected values (cached: graders reuse them)."""
        if seed not in self._batches:
            rng = np.random.default_rng(seed)
            out = []
            plan = size_plan(self.part, rng)
            # A part without sizes gets all its points at its one "size".
            n = POINTS_PER_SIZE if len(plan) > 1 else POINTS_PER_SIZE * SIZE_CONFIGS
            for sizes in plan:
                try:
                    points = [self.part.sample(rng, sizes) for _ in range(n)]
                    batch = Batch(dict(sizes), points, stack_points(self.vocab, points))
                    batch.expected = self.evaluate(sizes, points)
                except (ValueError, ArithmeticError, np.linalg.LinAlgError):
                    continue
                out.append(batch)
            self._batches[seed] = out
        return self._batches[seed]


def compile_fast(symbols, flat):
    """compile_numpy's function, with the symbols renamed to plain identifiers in one pass
    first: lambdify's own renaming walks the expression once per symbol, which dominates
    at the larger sizes the size sweep compiles (a 12-point batch norm: seconds)."""
    plain = {sym: sp.Symbol(f"a{k}") for k, sym in enumerate(symbols)}
    exprs = [sp.sympify(e, strict=True).xreplace(plain) for e in flat]
    return sp.lambdify(list(plain.values()), exprs, modules=[NUMPY_FUNCTIONS, "numpy"], dummify=False)


def _symbol_columns(part: Part, points: list[dict]) -> list[np.ndarray]:
    """One array of B values per scalar symbol of the namespace, in ns.symbols() order."""
    per_point = []
    for values in points:
        args: list[float] = []
        for var in part.variables:
            x = np.asarray(values[var.name], dtype=float)
            if var.symmetric:
                n = x.shape[0]
                args.extend(x[i, j] for i in range(n) for j in range(i, n))
            else:
                args.extend(x.reshape(-1).tolist())
        per_point.append(args)
    return list(np.asarray(per_point, dtype=float).T)


def stack_points(vocab: Vocabulary, points: list[dict]) -> dict[str, np.ndarray]:
    arrays = {}
    for e in vocab.entries:
        if e.role != "variable" or e.name not in points[0]:
            continue
        vals = [np.asarray(p[e.name], dtype=float) for p in points]
        if e.rank == 0:
            arrays[e.name] = np.asarray(vals).reshape(-1, 1, 1)
        elif e.rank == 1:
            arrays[e.name] = np.stack([v.reshape(-1, 1) for v in vals])
        else:
            arrays[e.name] = np.stack(vals)
    return arrays


def target(part: Part) -> Target:
    """The compiled expected result of a part (cached per process: the worker stays warm)."""
    hit = _TARGETS.get(part.id)
    if hit is None or hit[0] is not part:
        hit = _TARGETS[part.id] = (part, Target(part))
    return hit[1]


def _real(values) -> np.ndarray:
    """Float values; a value with no real value ((-8)^(1/3) taken as SymPy's principal,
    complex root) is undefined (nan), as a real-valued evaluation says."""
    arr = np.asarray(values)
    if np.iscomplexobj(arr) or arr.dtype == object:
        arr = np.asarray(arr, dtype=complex)
        return np.where(arr.imag == 0, arr.real, np.nan)
    return arr.astype(float)


def scaled_errors(answer: np.ndarray, expected: np.ndarray, beyond: bool = False) -> np.ndarray:
    """Per point: max |a - t| / max(1, max |t|); inf where the answer is undefined but the
    expected value is not, nan where the expected value itself is undefined (skipped), or,
    with ``beyond``, inf there when the answer is defined (a domain larger than expected)."""
    b = expected.shape[0]
    a = np.broadcast_to(answer, expected.shape).reshape(b, -1)
    t = expected.reshape(b, -1)
    with np.errstate(all="ignore"):
        scale = np.maximum(1.0, np.max(np.abs(t), axis=1))
        err = np.max(np.abs(a - t), axis=1) / scale
    t_ok = np.all(np.isfinite(t), axis=1)
    a_ok = np.all(np.isfinite(a), axis=1)
    err = np.where(a_ok, err, np.inf)
    return np.where(t_ok, err, np.where(a_ok, np.inf, np.nan) if beyond else np.nan)


@dataclass
class Comparison:
    equal: bool | None            # None: no usable point
    shape_ok: bool
    answer_values: list           # per batch, (B, r, c)
    failure: tuple | None = None  # (batch index, point index)
    points: int = 0


def compare(answer: Answer, batches: list[Batch]) -> Comparison:
    values, failure, used = [], None, 0
    for k, batch in enumerate(batches):
        got = answer.evaluate_batch(batch.arrays, batch.sizes)
        got = np.broadcast_to(got, (len(batch.points),) + got.shape[1:])
        values.append(got)
        if got.shape[1:] != batch.expected.shape[1:]:
            return Comparison(False, False, values, (k, 0), used)
        if answer.is_relation:
            continue
        err = scaled_errors(got, batch.expected)
        used += int(np.sum(np.isfinite(err) | np.isinf(err)))
        bad = np.where(err > TOLERANCE)[0]
        # Report the failure at the smallest sizes: it is the easiest to read.
        if bad.size and (failure is None or sum(batch.sizes.values()) < sum(batches[failure[0]].sizes.values())):
            failure = (k, int(bad[0]))
    if failure is not None:
        return Comparison(False, True, values, failure, used)
    return Comparison(True if used else None, True, values, None, used)


# --------------------------------------------------------------------------- relations
@dataclass
class RelationComparison:
    equal: bool | None
    answer_truth: np.ndarray | None = None
    target_truth: np.ndarray | None = None
    failure: dict | None = None
    missing: Any = None        # a target condition the answer lacks (dropped constraint)
    superset: bool = False
    subset: bool = False
    points: int = 0


def _relations(expr) -> list:
    if isinstance(expr, sp.And):
        return [r for a in expr.args for r in _relations(a)]
    return [expr] if isinstance(expr, sp.core.relational.Relational) else []


@dataclass
class RelationPlan:
    """Points on both sides of every boundary of the expected set, with the expected truth
    and each expected condition's truth (the same for every answer: built once per seed)."""
    rels: list
    batches: list     # (sizes, arrays, points)
    want: np.ndarray
    conds: list       # per condition, truth over all points


def relation_plan(part: Part, tgt: Target, seed: int) -> RelationPlan | None:
    key = ("relation", seed)
    if key in tgt._compiled:
        return tgt._compiled[key]
    rng = np.random.default_rng(seed + 1)
    rels_all, batches, want_all, conds_all = None, [], [], []
    for batch in tgt.batches(seed):
        fn, _, ns, expr = tgt.compiled(batch.sizes)
        rels = _relations(expr)
        bound = [s for r in rels for s in (r.lhs, r.rhs) if isinstance(s, sp.Symbol)
                 and s.name in ns.objects and not isinstance(ns.objects[s.name], sp.MatrixBase)]
        if not bound:
            tgt._compiled[key] = None
            return None
        var = max(set(bound), key=bound.count)
        others = [side for r in rels for side in (r.lhs, r.rhs) if side != var]
        symbols = ns.symbols()
        side_fn = compile_numpy(symbols, others)
        cond_fns = [compile_numpy(symbols, r)
                    for r in rels]
        points = []
        for values in batch.points:
            with np.errstate(all="ignore"):
                edges = np.array([float(np.asarray(e, dtype=float).reshape(-1)[0])
                                  for e in side_fn(*_symbol_columns(part, [values]))])
            edges = edges[np.isfinite(edges)]
            scale = max(1e-3, float(np.max(np.abs(edges))) if edges.size else 1.0)
            cands = [values[var.name]]
            for e in edges:
                for d in (1e-3, 0.05, 0.3, 1.0):
                    cands += [e - d * scale, e + d * scale]
            cands += list(rng.uniform(-2 * scale, 3 * scale, size=4))
            for c in cands:
                if edges.size and np.min(np.abs(c - edges)) < BOUNDARY_MARGIN * scale:
                    continue
                p = dict(values)
                p[var.name] = float(c)
                points.append(p)
        cols = _symbol_columns(part, points)
        n = len(points)
        with np.errstate(all="ignore"):
            want = np.broadcast_to(np.asarray(fn(*cols)[0], dtype=bool).reshape(-1), (n,))
            conds = [np.broadcast_to(np.asarray(f(*cols), dtype=bool).reshape(-1), (n,)) for f in cond_fns]
        rels_all = rels_all or rels
        batches.append((batch.sizes, stack_points(tgt.vocab, points), points))
        want_all.append(want)
        conds_all.append(conds)
    if not batches:
        tgt._compiled[key] = None
        return None
    plan = RelationPlan(rels_all, batches, np.concatenate(want_all),
                        [np.concatenate([c[k] for c in conds_all]) for k in range(len(rels_all))])
    tgt._compiled[key] = plan
    return plan


def compare_relation(answer: Answer, part: Part, tgt: Target, seed: int) -> RelationComparison:
    """Compare two inequality answers as sets: sample the variable they bound on both sides
    of every boundary of the expected set, at domain points of the other variables."""
    if not answer.is_relation:
        return RelationComparison(False)
    plan = relation_plan(part, tgt, seed)
    if plan is None:
        return RelationComparison(None)
    got = np.concatenate([answer.evaluate_batch(arrays, sizes).reshape(-1) > 0.5
                          for sizes, arrays, _ in plan.batches])
    want = plan.want
    rows = [p for _, _, points in plan.batches for p in points]
    out = RelationComparison(bool(np.all(got == want)), got, want, points=len(rows))
    if not out.equal:
        k = int(np.where(got != want)[0][0])
        out.failure = {"point": rows[k], "answer": bool(got[k]), "expected": bool(want[k])}
        out.superset = bool(np.all(got | ~want))
        out.subset = bool(np.all(~got | want))
        if out.superset:
            for r, cond in zip(plan.rels, plan.conds):
                if np.all((got & cond) == want):
                    out.missing = r
                    break
    return out
