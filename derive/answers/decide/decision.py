"""The exact decision for an expression answer: floats propose, high precision decides,
proofs say for which sizes the answer holds.

1. A float64 pass over every point (random, size sweep, breakpoints, large magnitudes)
   ranks the points by their scaled difference.
2. The points floats call different are confirmed (or refuted) with mpmath, largest
   difference first; then a spread of the remaining points is decided the same way, so a
   difference too small for floats (s - y + 9e-9) is still found. ``correct`` needs every
   decided point equal and none left unknown.
3. An exact SymPy proof is tried with the sizes symbolic, then at each proof size.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import sympy as sp
from sympy.matrices.expressions.matexpr import MatrixElement

from ...errors import ProofTimeout
from ...maths.center_loss import indicator
from ...maths.identity_testing import rational_identity
from ...maths.sums import entry_as_written, identical
from ...maths.zero import time_limit
from ...verify.proof import difference_is_zero
from .equivalence import scaled_errors
from .points import complexity, is_rational_point
from .precision import DIFFERENT, EQUAL, UNKNOWN, Decision, PreciseTarget, decide, equal_digits

FLOAT_EQUAL = 1e-8        # below this floats cannot tell; the precise pass decides
INFORMATIVE = 1e-6        # a counterexample should differ visibly (more than 6 digits)
MAX_PRECISE = 80          # precise decisions per answer (each about a millisecond)
SPREAD_PER_BATCH = 1      # precise decisions among the points floats call equal, per batch
PROOF_SIZES = 3           # explicit sizes an exact proof is tried at (after the symbolic one)
SYMBOLIC_BUDGET = 0.25    # seconds for the proof with sizes symbolic (it mostly fails fast or not at all)


@dataclass
class Outcome:
    status: str                     # EQUAL (correct), DIFFERENT (incorrect) or UNKNOWN
    batch: int | None = None
    index: int | None = None
    decision: Decision | None = None
    equal_points: int = 0
    digits: int = 0                 # digits every equal point agrees to (the smallest)
    unknown: int = 0
    float_points: int = 0
    errors: list = field(default_factory=list)


def _targets(part, cache: dict, sizes: dict) -> PreciseTarget:
    key = tuple(sorted(sizes.items()))
    if key not in cache:
        cache[key] = PreciseTarget(part, sizes)
    return cache[key]


_PRECISE: dict = {}


def precise_target(part, sizes: dict) -> PreciseTarget:
    """The part's high-precision target at these sizes (cached)."""
    return _targets(part, precise_targets(part), sizes)


def precise_targets(part) -> dict:
    hit = _PRECISE.get(part.id)
    if hit is None or hit[0] is not part:
        hit = _PRECISE[part.id] = (part, {})
    return hit[1]


def decide_answer(answer, part, batches, values, extreme_from: int | None = None) -> Outcome:
    """values[k] is the answer's float value on batches[k] (B, r, c); batches from
    ``extreme_from`` on (breakpoints, large magnitudes) give a counterexample only when
    the ordinary points give none."""
    cache = precise_targets(part)
    # Over real variables a random point where only the answer is defined shows a domain
    # larger than the expected one, on a set of positive measure: a difference. (Integer
    # variables can land on a configuration the expected value excludes: skipped there.)
    beyond = continuous(part)
    errs = [scaled_errors(v, b.expected, beyond and not b.both_defined) for v, b in zip(values, batches)]
    # At probe points an undefined answer is skipped (a removable point is no counterexample).
    errs = [np.where(np.isinf(e), np.nan, e) if b.both_defined else e for e, b in zip(errs, batches)]
    out = Outcome(UNKNOWN, float_points=sum(int(np.sum(~np.isnan(e))) for e in errs), errors=errs)
    suspects = [(float(e[i]), k, i) for k, e in enumerate(errs) for i in range(len(e))
                if not np.isnan(e[i]) and e[i] > FLOAT_EQUAL]
    # Visible differences first, at the smallest size (a readable counterexample), then the
    # rest by size of difference.
    extreme = len(batches) if extreme_from is None else extreme_from
    # Among visible differences, where both sides are defined first, then the simplest point
    # (x = 2 before x = 0.0319242; points.complexity).
    suspects.sort(key=lambda s: (0, np.isinf(s[0]), complexity(batches[s[1]].points[s[2]]), s[1] >= extreme,
                                 sum(batches[s[1]].sizes.values()), -s[0])
                  if s[0] > INFORMATIVE else (1, 0, 0, 0, 0, -s[0]))
    # Among the points floats call equal, each batch's largest float difference is decided
    # precisely: a difference below float resolution confined to a region (a 1e-12 bump
    # between two breakpoints) shows there first.
    spread = []
    for k, e in enumerate(errs):
        quiet = [i for i in range(len(e)) if not np.isnan(e[i]) and e[i] <= FLOAT_EQUAL]
        quiet.sort(key=lambda i: -e[i])
        rational = [i for i in quiet[SPREAD_PER_BATCH:] if is_rational_point(batches[k].points[i])]
        spread += [(float(e[i]), k, i) for i in quiet[:SPREAD_PER_BATCH] + rational]
    budget = MAX_PRECISE
    best: tuple | None = None
    digits = None
    checked_suspects = 0
    for n, (_, k, i) in enumerate(suspects + spread):
        if budget == 0:
            break
        budget -= 1
        checked_suspects += n < len(suspects)
        b = batches[k]
        try:
            d = decide(answer, _targets(part, cache, b.sizes), b.points[i], b.sizes,
                       beyond=beyond and not b.both_defined)
        except Exception:  # a point the precise pass cannot build is simply not evidence
            d = Decision(UNKNOWN)
        if d.status == DIFFERENT and b.both_defined and _undefined_answer(d):
            continue
        if d.status == DIFFERENT:
            if best is None or d.error > best[2].error:
                best = (k, i, d)
            if d.error > INFORMATIVE:
                break
        elif d.status == EQUAL:
            out.equal_points += 1
            digits = equal_digits(d) if digits is None else min(digits, equal_digits(d))
        else:
            out.unknown += 1
    unchecked_suspects = len(suspects) - checked_suspects
    if best is not None:
        out.status, out.batch, out.index, out.decision = DIFFERENT, best[0], best[1], best[2]
    elif out.equal_points and not out.unknown and not unchecked_suspects:
        out.status = EQUAL
        out.digits = digits or 0
    return out


def continuous(part) -> bool:
    """Every variable real-valued with no integer restriction."""
    return not any(dict(v.domain.assumptions).get("integer") for v in part.variables)


def _undefined_answer(d: Decision) -> bool:
    """The answer has no real value at the decided point (its difference is infinite)."""
    try:
        return bool(np.isinf(float(d.error)))
    except (TypeError, ValueError):
        return True


def depends_on(part, tgt, sizes: dict) -> set[str]:
    """The variables the expected result at these sizes has symbols of."""
    _, _, ns, expr = tgt.compiled(sizes)
    free = set(getattr(expr, "free_symbols", ()))   # a Matrix is no sp.Basic but has them
    out = set()
    for name, obj in ns.objects.items():
        syms = set(obj) if isinstance(obj, sp.MatrixBase) else {obj}
        if syms & free:
            out.add(name)
    return out


# --------------------------------------------------------------------------- proofs
def _matched(mine, expected):
    if isinstance(expected, sp.MatrixBase) != isinstance(mine, sp.MatrixBase):
        if isinstance(expected, sp.MatrixBase) and expected.shape == (1, 1):
            return mine, expected[0, 0]
        if isinstance(mine, sp.MatrixBase) and mine.shape == (1, 1):
            return mine[0, 0], expected
    return mine, expected


def prove_symbolic(answer, part, budget: float) -> bool:
    """True if the answer equals the result with the sizes kept symbolic (all sizes): both
    read with entry positions as written, sums put in one normal form (maths/sums.py)."""
    if not part.sizes or budget <= 0:
        return False
    try:
        with time_limit(budget):
            ns, expected = general_result(part)
            mine = answer.to_sympy(ns.objects, ns.sizes, as_written=True)
            if mine == expected:
                return True
            if _shaped(mine) and _shaped(expected) and mine.shape == expected.shape and _same_matrix(mine, expected):
                return True
            free = [sp.Symbol(i, integer=True, positive=True) for i in answer.free_indices]
            ranges = {s: (sp.S.One, ns.sizes[answer.index_ranges[str(s)]]) for s in free}
            if not free and _shaped(mine) and _shaped(expected) and mine.shape != (1, 1):
                if mine.shape != expected.shape:
                    return False
                # Equal matrices: equal entries at a general position (row r, column c).
                free = [sp.Symbol(n, integer=True, positive=True) for n, d in zip("rc", mine.shape) if d != 1]
                ranges = {s: (sp.S.One, d) for s, d in zip(free, [d for d in mine.shape if d != 1])}
                mine = written_entry(mine, free)
            else:
                mine = written_entry(mine, [])
            expected = written_entry(expected, free)
            if mine is None or expected is None:
                return False
            mine, expected = _comparable(mine, ns), _comparable(expected, ns)
            facts = _general_facts(part, ns)
            if identical(mine, expected, ranges, facts):
                return True
            # Then with every defined variable's entries replaced by its definition's (the
            # answer may be written in z where the result is in s = softmax(z)).
            defined = _general_definitions(part, ns)
            return bool(defined) and identical(defined(mine), defined(expected), ranges, facts)
    except (ProofTimeout, ValueError, TypeError, ArithmeticError, AttributeError, KeyError,
            IndexError, NotImplementedError, RecursionError, sp.SympifyError, sp.ShapeError):
        return False
    except Exception:  # SymPy's matrix-expression algebra raises many kinds; not proved
        return False


def _comparable(expr, ns):
    """One spelling for what general forms write in several: an entry of a vector written
    on an IndexedBase (x[i]) is the vector's entry x[i, 0]; a bracket [a = b] of values
    that are not indices (a label y_i and a class j), written with a delta or the paper's
    indicator, is the Piecewise 1 where a = b."""
    vectors = {name: obj for name, obj in ns.objects.items() if _shaped(obj) and obj.shape[1] == 1}

    def entry(e):
        return vectors[str(e.base)][e.indices[0], 0]
    expr = expr.replace(lambda e: isinstance(e, sp.Indexed) and str(e.base) in vectors and len(e.indices) == 1,
                        entry)

    def bracket(e):
        return isinstance(e, sp.KroneckerDelta) and any(e.atoms(MatrixElement)) or isinstance(e, indicator)
    return expr.replace(bracket, lambda e: sp.Piecewise((1, sp.Eq(*e.args[:2])), (0, True)))


def _same_matrix(mine, expected) -> bool:
    """The same matrix expression once SymPy's own algebra has run (the answer is built
    unevaluated; an inverse has no general entries to compare)."""
    if not any(isinstance(n, sp.Inverse) for n in sp.preorder_traversal(expected)):
        return False
    return mine.doit() == expected.doit()


def _general_definitions(part, ns):
    """A function replacing each entry of a defined vector or matrix by the entry of its
    definition (as written), or None when no variable has a general definition."""
    definitions = {}
    for v in part.variables:
        if v.definition is None or not _shaped(ns.objects.get(v.name)):
            continue
        try:
            value = v.definition(ns)
        except Exception:   # a definition with no general form
            continue
        if _shaped(value):
            definitions[v.name] = value
    if not definitions:
        return None

    def substitute(expr):
        return expr.replace(
            lambda e: isinstance(e, MatrixElement) and getattr(e.parent, "name", None) in definitions,
            lambda e: entry_as_written(definitions[e.parent.name], (e.i, e.j)))
    return substitute


def _general_facts(part, ns) -> dict:
    """Sums whose value the domain fixes, as written: the entries of y sum to 1."""
    facts = {}
    for v in part.variables:
        obj = ns.objects.get(v.name)
        if v.domain.sums_to_one and _shaped(obj) and obj.shape[1] == 1:
            k = sp.Symbol("k", integer=True)
            facts[sp.Sum(obj[k, 0], (k, 1, obj.shape[0]))] = sp.S.One
    return facts


def _shaped(value) -> bool:
    return isinstance(value, (sp.MatrixExpr, sp.MatrixBase))


_GENERAL: dict = {}


def general_result(part) -> tuple:
    """(the general namespace, the result in it), built once per part: every answer to the
    part is compared with the same expression."""
    hit = _GENERAL.get(part.id)
    if hit is None or hit[0] is not part:
        ns = part.general
        hit = _GENERAL[part.id] = (part, ns, part.result(ns))
    return hit[1], hit[2]


def written_entry(value, free: list):
    """The scalar entry of a general value at the free indices (none: a scalar, or a 1 x 1
    matrix), with entry positions as written: the sums SymPy writes for a matrix product's
    entry run over 0..n-1 and become 1..n (their bodies name entries by the same symbols).
    None when the value has no such entry."""
    if not _shaped(value):
        # a scalar written with its free indices as symbols (the class j of a general form)
        named = {str(x): x for x in free}
        return value.xreplace({x: named[x.name] for x in value.free_symbols if x.name in named})
    rows, cols = value.shape
    if not free:
        position = (0, 0) if (rows, cols) == (1, 1) else None
    elif len(free) == 1:
        position = (free[0], 0) if cols == 1 else ((0, free[0]) if rows == 1 else None)
    else:
        position = tuple(free[:2])
    if position is None or len(free) > 2:
        return None
    return entry_as_written(value, position)


def prove_at(answer, part, sizes: dict, budget: float) -> bool:
    """True if the answer equals the result exactly at these explicit sizes."""
    ns = part.namespace(sizes)
    started = time.monotonic()
    try:
        with time_limit(budget):
            mine = answer.to_sympy(ns.objects, ns.sizes)
            expected = part.result(ns)
        budget -= time.monotonic() - started
        if budget <= 0.01:
            return False
        mine, expected = _matched(mine, expected)
        if isinstance(mine, sp.MatrixBase) != isinstance(expected, sp.MatrixBase):
            return False
        if isinstance(mine, sp.MatrixBase) and mine.shape != expected.shape:
            return False
        ok, _ = difference_is_zero(mine, expected, [ns.definitions(), ns.constraints()], budget)
        if ok:
            return True
        return _piecewise_zero(mine, expected, ns, budget)
    except (ValueError, TypeError, ArithmeticError, AttributeError, KeyError, IndexError,
            NotImplementedError, RecursionError, sp.SympifyError, ProofTimeout):
        return False


def _piecewise_zero(mine, expected, ns, budget) -> bool:
    """Piecewise simplification: the difference as one Piecewise, zero on every piece that
    can hold, except at a point where the expected value itself jumps (H(0) is a
    convention: [x > 0] and [x >= 0] are both H(x)); an answer that differs from a
    continuous expected value at a single point is not equal."""
    pieces = (sp.Heaviside, sp.Abs, sp.sign, sp.Max, sp.Min, sp.Piecewise)
    left = list(mine) if isinstance(mine, sp.MatrixBase) else [mine]
    right = list(expected) if isinstance(expected, sp.MatrixBase) else [expected]
    if not any(isinstance(n, pieces) or type(n).__name__ == "relu"
               for e in left + right for n in sp.preorder_traversal(e)):
        return False
    subs = {**ns.definitions(), **ns.constraints()}
    try:
        with time_limit(max(budget, 0.05)):
            for a, b in zip(left, right):
                a, b = (a.xreplace(subs), b.xreplace(subs)) if subs else (a, b)
                jumps = _jumps(b.rewrite(sp.Piecewise))
                d = sp.piecewise_fold((a - b).rewrite(sp.Piecewise))
                if not _zero_by_pieces(d, jumps):
                    return False
            return True
    except (ProofTimeout, ValueError, TypeError, NotImplementedError, RecursionError):
        return False


def _jumps(expected) -> list:
    """The equations that bound the expected value's pieces (x = 0 for H(x))."""
    return [sp.expand(c.lhs - c.rhs) for p in expected.atoms(sp.Piecewise) for _, cond in p.args
            for c in (cond.atoms(sp.Rel) if isinstance(cond, sp.Basic) else ())]


def _zero_by_pieces(d, jumps) -> bool:
    if not isinstance(d, sp.Piecewise):
        return sp.simplify(d) == 0
    free = sorted(d.free_symbols, key=str)
    if len(free) != 1 or free[0].is_integer:
        return all(sp.simplify(e) == 0 for e, _ in d.args)
    x = free[0]
    covered = sp.S.EmptySet
    for value, condition in d.args:
        where = sp.Complement(condition.as_set(), covered).simplify() if condition != sp.true \
            else sp.Complement(sp.S.Reals, covered)
        covered = sp.Union(covered, condition.as_set() if condition != sp.true else sp.S.Reals)
        if where == sp.S.EmptySet:
            continue   # a piece that cannot hold after the ones before it
        if isinstance(where, sp.FiniteSet):
            # single points: zero there, or a jump of the expected value
            if all(sp.simplify(value.subs(x, p)) == 0 or any(j.subs(x, p) == 0 for j in jumps) for p in where):
                continue
            return False
        if sp.simplify(value) != 0:
            return False
    return True


SYMBOLIC_ROUTE = "an identity with the sizes as symbols"
EXACT_ROUTE = "an exact identity"


def prove_sizes(answer, part, budget: float) -> tuple[str | None, list[dict]]:
    """(the route that proved the answer for every size and value, or None; the explicit
    sizes proved, for the evidence of an answer no route proved), within the budget."""
    if budget <= 0:
        return None, []
    deadline = time.monotonic() + budget
    if part.sizes and prove_symbolic(answer, part, budget * 0.8):
        return SYMBOLIC_ROUTE, []
    proved = []
    for sizes in part.proof_sizes()[:PROOF_SIZES]:
        left = deadline - time.monotonic()
        if left <= 0.02:
            break
        if not prove_at(answer, part, sizes, left):
            break   # later sizes are larger: stop at the first size not proved
        proved.append(sizes)
    if not part.sizes and proved:
        return EXACT_ROUTE, proved   # no sizes: one proof covers everything
    if not part.sizes:
        tested = _identity_tested(answer, part, deadline - time.monotonic())
        if tested is not None:
            return (f"polynomial identity testing (Schwartz-Zippel) at {tested.trials} random integer points "
                    f"of [-2^62, 2^62): a different answer passes with probability at most "
                    f"{tested.error:.0e} (seed {tested.seed})"), [{}]
    return None, proved


IDENTITY_SEED = 20_261_205   # fixed, so a verdict is reproducible; stated in the evidence


def _identity_tested(answer, part, budget: float):
    """The identity test's outcome when both sides (definitions substituted) are rational
    functions of the variables and equal at every trial; None otherwise."""
    if budget <= 0.02:
        return None
    ns = part.namespace({})
    try:
        with time_limit(budget):
            mine, expected = _matched(answer.to_sympy(ns.objects, ns.sizes), part.result(ns))
            if isinstance(mine, sp.MatrixBase) or isinstance(expected, sp.MatrixBase):
                return None
            subs = ns.definitions()
            if subs:
                mine, expected = mine.xreplace(subs), expected.xreplace(subs)
            outcome = rational_identity(mine, expected, IDENTITY_SEED)
    except (ProofTimeout, ValueError, TypeError, ArithmeticError, AttributeError, KeyError,
            IndexError, NotImplementedError, RecursionError, sp.SympifyError):
        return None
    return outcome if outcome is not None and outcome.equal else None


def sizes_text(sizes: list[dict]) -> str:
    """'C = 2..12' or 'n = 1..12, t = 0..12' (each dimension's values), '' without sizes."""
    if not sizes or sizes == [{}]:
        return ""
    dims: dict[str, set] = {}
    for s in sizes:
        for d, n in s.items():
            dims.setdefault(d, set()).add(n)
    parts = []
    for d, values in dims.items():
        v = sorted(values)
        if len(v) > 2 and v == list(range(v[0], v[-1] + 1)):
            parts.append(f"{d} = {v[0]}..{v[-1]}")
        else:
            parts.append(f"{d} = " + ", ".join(str(x) for x in v))
    return ", ".join(parts)


def evidence_text(route: str | None, proved: list[dict], tested: list[dict], points: int,
                  digits: int) -> str:
    """What holds: 'proved for all sizes: <route>', 'proved: <route>' (a part without sizes),
    or, when no route proved it, what was tried: 'not proved for every size (proved at
    C = 2..4); tested at ...'."""
    tested_text = sizes_text(tested)
    how = (f"{points} points" + (f" at {tested_text}" if tested_text else "")
           + (f", each equal to {digits} digits in high precision" if digits else ""))
    if route:
        return (f"proved for all sizes: {route}" if tested_text else f"proved: {route}")
    if tested_text:
        return ("not proved for every size" + (f" (proved only at {sizes_text(proved)})" if proved else "")
                + f"; tested at {how}")
    return f"not proved (no exact identity found); tested at {how}"
