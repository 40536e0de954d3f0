"""Judging an answer in index notation for a tensor part (the conv gradients).

The expected answer is the part's index form (``part.result.form``, which ``derive verify``
proves equal to the SymPy derivation). Both it and the answer are evaluated entry by entry,
for every value of the free indices, at each of the part's answer sizes (``answer_sizes``:
several layers, strides above 1) on seeded random integer tensors, in exact SymPy integers
and rationals, so every comparison is decided exactly: a float never decides. A tensor entry
outside its range, or at a non-integer index, is 0 (derive.maths.tensors), which is how an
out-of-range kernel index contributes nothing.

A right answer is then proved at the smallest answer size, against the derivation itself
(``part.derive``) on symbolic tensors, and the evidence says which sizes were proved and
which tested. A wrong answer gets the first differing entry as its counterexample (sizes,
free-index values, both values and the tensors used) and the part's declared slip when it
equals one at every tested entry, else a sign or constant factor when one fits.

What is particular to index notation is here: the exact entry-by-entry evaluation on integer
tensors, and the proof against the derivation itself on symbolic tensors (the plain judge
proves against the stated result, which for a tensor part is this same index form). The
declared slips (one cache, ``equivalence.declared_slips``), the kinds and words of a
diagnosis (diagnosis.py) and the verdicts' wording (presentation.py) are the plain judge's.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import sympy as sp

from ...errors import AnswerSyntaxError, DeriveError
from ...maths import tensors
from ...maths.zero import time_limit
from ...model.part import Part, derived_sizes
from ..read.index_eval import compile_index, nested_ints
from ..read.index_parse import IndexAnswer, parse_index_answer
from ...model.verdict import INVALID, Diagnosis, Verdict
from .diagnosis import declared_slip, exact_ratio
from .equivalence import declared_slips, index_vocabulary, is_index_part
from .index_refute import refuting_cases
from .presentation import correct_verdict, incorrect_verdict, unproved_verdict
from .decision import SYMBOLIC_ROUTE
from ...maths.sums import identical

__all__ = ["answer_sizes", "expected_index_latex", "index_vocabulary", "is_index_part", "judge_indexed"]

DRAWS_PER_SIZE = 2
# Nonzero entries: a zero would hide every term it multiplies, and with it a slip.
ENTRY_VALUES = np.array([v for v in range(-9, 10) if v])


def answer_sizes(part: Part) -> list[dict[str, int]]:
    """The sizes an answer is judged at: the rows of ``part.answer_sizes`` (positions move
    together, as in ``sizes``), else the proof sizes."""
    columns = getattr(part, "answer_sizes", None)
    if not columns:
        return part.proof_sizes()
    longest = max(len(c) for c in columns.values())
    return [{n: c[min(k, len(c) - 1)] for n, c in columns.items()} for k in range(longest)]


@dataclass(frozen=True)
class Case:
    """One layer: all its sizes (derived ones too), random integer tensors (SymPy arrays and
    the nested int lists the compiled formulas read), the expected entries."""
    sizes: dict
    tensors: dict
    lists: dict
    shape: tuple
    expected: list


def _cases(part: Part, seed: int) -> list[Case]:
    key = (part.id, seed)
    hit = _CASES.get(key)
    if hit is not None and hit[0] is part:
        return hit[1]
    rng = np.random.default_rng(seed)
    cases = [make_case(part, row, rng, ENTRY_VALUES)
             for row in answer_sizes(part) for _ in range(DRAWS_PER_SIZE)]
    _CASES[key] = (part, cases)
    return cases


def make_case(part: Part, row: dict, rng, entry_values) -> Case:
    """One layer at ``row`` with tensors drawn from ``entry_values`` and its expected entries."""
    z = dict(part.namespace(row).sizes)
    arrays = {}
    for v in part.variables:
        if v.is_tensor:
            shape = v.numeric_shape(z)
            cells = [sp.Integer(int(x)) for x in rng.choice(entry_values, size=int(np.prod(shape)))]
            arrays[v.name] = sp.ImmutableDenseNDimArray(cells, shape)
    shape = tuple(arrays[part.result.over].shape)
    lists = {n: nested_ints(a) for n, a in arrays.items()}
    expected = _entries(compile_index(part.result.form(z)), part.result.free, shape, lists, z)
    return Case(z, arrays, lists, shape, expected)


_CASES: dict = {}


def _entries(compiled, free, shape, lists, sizes) -> list:
    """Every entry over the free indices (row-major); None where the formula is undefined."""
    names = [str(x) for x in free]
    out = []
    for position in itertools.product(*(range(n) for n in shape)):
        scope = dict(sizes)
        scope.update(zip(names, position))
        try:
            out.append(compiled(scope, lists))
        except ZeroDivisionError:
            out.append(None)
    return out


def _values(answer: IndexAnswer, part: Part, case: Case) -> list:
    compiled = _COMPILED.get(answer.expr)
    if compiled is None:
        if len(_COMPILED) > 2000:   # a grading run sees many answers; memory stays bounded
            _COMPILED.clear()
        compiled = _COMPILED[answer.expr] = compile_index(answer.expr)
    return _entries(compiled, part.result.free, case.shape, case.lists, case.sizes)


_COMPILED: dict = {}


def _first_difference(got: list, expected: list):
    """The first entry where the two differ; both are exact SymPy numbers (or an answer's
    undefined value, which differs from every number)."""
    for k, (a, e) in enumerate(zip(got, expected)):
        if a != e:
            return k
    return None


def judge_indexed(part: Part, text: str, *, syntax: str = "auto", seed: int = 0,
                  proof_budget: float = 2.0) -> Verdict:
    """Check an index-notation answer to a tensor part (see the module docstring)."""
    result = part.result
    if not all(hasattr(result, a) for a in ("form", "free", "over")):
        return Verdict(INVALID, f"{part.id} has tensor variables but no index formula "
                       "(derive.maths.tensors.index_formula) to check answers against", part=part.id)
    vocab = index_vocabulary(part)
    try:
        answer = parse_index_answer(text, vocab, syntax=syntax)
    except AnswerSyntaxError as exc:
        return Verdict(INVALID, str(exc), part=part.id, position=exc.position)
    parsed = answer.latex()
    try:
        cases = _cases(part, seed)
        values = [_values(answer, part, case) for case in cases]
    except (DeriveError, ArithmeticError, ValueError, TypeError) as exc:
        return Verdict(INVALID, f"the answer could not be evaluated: {exc}", parsed=parsed, part=part.id)
    points = sum(len(v) for v in values)
    for k, (case, got) in enumerate(zip(cases, values)):
        where = _first_difference(got, case.expected)
        if where is not None:
            return _wrong(part, answer, cases, values, k, where, parsed, points, seed)
    # Where answers hide (index_refute.py): sizes at the answer's own thresholds, entries
    # at 0, repeated, and beyond its constants. They only refute.
    for case in refuting_cases(part, answer, seed, make_case, answer_sizes(part)):
        try:
            got = _values(answer, part, case)
        except (DeriveError, ArithmeticError, ValueError, TypeError):
            continue
        # An answer undefined at a zero entry may be a removable point (G_i^2/G_i): only
        # entries where both sides are defined refute here.
        where = next((k for k, (a, e) in enumerate(zip(got, case.expected))
                      if a is not None and e is not None and a != e), None)
        points += len(got)
        if where is not None:
            return _wrong(part, answer, cases + [case], values + [got], len(cases), where, parsed, points, seed)
    return _right(part, answer, cases, parsed, points, proof_budget)


def _pinned(part: Part) -> dict:
    """Sizes that one value throughout the answer sizes (the case the answer is stated for)."""
    rows = answer_sizes(part)
    return {n: rows[0][n] for n in rows[0] if len(rows) > 1 and all(r[n] == rows[0][n] for r in rows)}


def _size_words(part: Part, sizes: dict) -> str:
    pinned = _pinned(part)
    declared = [n for n in answer_sizes(part)[0] if n not in pinned]
    derived = [n for n in sizes if n not in answer_sizes(part)[0]]
    return ", ".join(f"{n}={sizes[n]}" for n in declared + derived)


def _varied(part: Part) -> list[str]:
    pinned = _pinned(part)
    return [n for n in answer_sizes(part)[0] if n not in pinned]


def _tuple(part: Part, sizes: dict) -> str:
    return "(" + ", ".join(str(sizes[n]) for n in _varied(part)) + ")"


def prove_every_size(part: Part, answer: IndexAnswer, budget: float) -> bool:
    """The answer equals the part's index form for every size of the case it is stated for
    (the sizes every answer size shares, such as no padding, are fixed; the others and the
    derived ones, H_out as its formula, stay symbols), by the normal form of sums
    (maths/sums.py): sound whatever a tensor's entries are, those outside its range too."""
    try:
        with time_limit(max(budget, 0.2)):
            ns = part.general
            sizes = dict(ns.sizes)
            sizes.update({n: sp.Integer(v) for n, v in _pinned(part).items()})
            for derived in derived_sizes(part.variables):
                try:
                    value = derived.rule(sizes)   # the part's own formula (output_size): no text
                    sizes[str(derived)] = sp.Integer(value) if isinstance(value, int) else value
                except (DeriveError, TypeError, ValueError, KeyError):
                    pass   # stays a symbol on both sides
            names = {**sizes, **{str(i): i for i in part.result.free}}

            def general(expr):
                expr = expr.replace(lambda e: isinstance(e, tensors.Ordered), lambda e: e.value)
                expr = expr.replace(lambda e: isinstance(e, tensors.Named), lambda e: e.definition)
                return expr.xreplace({x: names[x.name] for x in expr.free_symbols if x.name in names})
            over = next(v for v in part.variables if v.name == part.result.over)
            axes = [sizes[str(d)] if not isinstance(d, int) else d for d in over.shape]
            ranges = {i: (sp.S.Zero, n - 1) for i, n in zip(part.result.free, axes)}
            return identical(general(answer.expr), general(part.result.form(sizes)), ranges)
    except Exception:   # a timeout or anything SymPy raises: not proved
        return False


def _right(part, answer, cases, parsed, points, proof_budget) -> Verdict:
    # The smallest size, and the smallest with a stride above 1 where the stride matters.
    rows = answer_sizes(part)
    chosen = [rows[0]] + [r for r in rows if r.get("s", 1) > 1][:1]
    proved = [r for r in chosen if _prove(part, answer, r, proof_budget)]
    names = "(" + ", ".join(_varied(part)) + ")"
    tested = ", ".join(dict.fromkeys(_tuple(part, r) for r in rows))
    pinned = ", ".join(f"{n}={v}" for n, v in _pinned(part).items())
    proof = " and ".join(_tuple(part, r) for r in proved)
    tried = (f"equal, decided exactly, at all {points} entries of {len(cases)} random integer cases at "
             f"{names} = {tested}" + (f", with {pinned}" if pinned else ""))
    if prove_every_size(part, answer, proof_budget):
        where = f" with {pinned}" if pinned else ""
        return correct_verdict(part, f"proved for all sizes{where}: {SYMBOLIC_ROUTE}", parsed, True, points)
    explicit = f"proved only at {names} = {proof}; " if proved else ""
    return unproved_verdict(part, f"not proved for every size ({explicit}{tried})", parsed, points)


def _prove(part: Part, answer: IndexAnswer, sizes: dict, budget: float) -> bool:
    """The answer equals the SymPy derivation entry by entry on symbolic tensors at ``sizes``."""
    try:
        with time_limit(max(budget, 0.5)):
            ns = part.namespace(sizes)
            arrays = {n: o for n, o in ns.objects.items() if isinstance(o, sp.NDimArray)}
            over = ns.objects[part.result.over]
            derived = list(part.derive(ns))
            mine = tensors.evaluate_all(answer.expr, part.result.free, over.shape, arrays, ns.sizes)
            return len(derived) == len(mine) and all(sp.expand(a - e) == 0 for a, e in zip(mine, derived))
    except Exception:   # a timeout or anything SymPy raises leaves the answer tested, not proved
        return False


def _plain(x):
    """A JSON-ready value: an int, an exact fraction as text, or None where undefined."""
    if x is None or isinstance(x, int):
        return x
    if isinstance(x, Fraction):
        return str(x)
    return str(x)


def _wrong(part, answer, cases, values, k, where, parsed, points, seed) -> Verdict:
    case = cases[k]
    free = [str(x) for x in part.result.free]
    position = np.unravel_index(where, case.shape)
    at = dict(zip(free, (int(p) for p in position)))
    got, want = values[k][where], case.expected[where]
    counter = {"values": {**{n: v for n, v in case.sizes.items()}, **at},
               "answer": _plain(got), "expected": _plain(want),
               # How wrong, for a summary: the entries that differ among all compared.
               "entry": at, "differing": sum(1 for a, e in zip(values[k], case.expected) if a != e),
               "entries": len(case.expected),
               "tensors": {n: case.lists[n] for n in _used(part, answer, case)}}
    diagnosis = _diagnose(part, cases, values)
    names = ", ".join(_used(part, answer, case))
    yours = "undefined (a division by zero)" if got is None else _plain(got)
    message = (f"Not equal to the expected answer: at {_size_words(part, case.sizes)}, with random integer "
               f"{names} (seed {seed}; their values are in the counterexample), the entry "
               f"{', '.join(f'{n}={v}' for n, v in at.items())} of your answer is {yours} but the "
               f"expected value is {_plain(want)} (decided exactly).")
    return incorrect_verdict(part, message, counter, diagnosis, parsed, points,
                             f"decided exactly at {points} entries")


def _used(part, answer, case) -> list[str]:
    """The tensors the answer or the expected form reads, in the part's order."""
    expected = part.result.form(case.sizes)
    read = {e.base.label.name for x in (answer.expr, expected) for e in x.atoms(sp.Indexed)}
    return [n for n in case.tensors if n in read]


def _diagnose(part, cases, values) -> Diagnosis | None:
    """The declared slip the answer equals at every tested entry, else the opposite sign or a
    constant factor when one exact ratio holds (the kinds and words of diagnosis.py)."""
    for slip, slip_answer in declared_slips(part):
        try:
            if all(_values(slip_answer, part, c) == v for c, v in zip(cases, values)):
                return declared_slip(slip)
        except (DeriveError, ArithmeticError, ValueError, TypeError):
            continue
    return exact_ratio((a, e) for case, got in zip(cases, values) for a, e in zip(got, case.expected))


def expected_index_latex(part: Part) -> str:
    """The expected answer in the case answers are judged at (shown only on request), in the
    notation an answer is typed in, so it can be pasted back: the general index form with the
    pinned sizes put in, each floor or mod that equals 0 or its argument at every answer size
    and free-index value replaced by it (the group offsets at one group)."""
    pinned = _pinned(part)
    general = dict(part.general.sizes)
    z = {n: pinned.get(n, v) for n, v in general.items()}
    z.update({n: v for n, v in pinned.items() if n not in z})
    expr = tensors.plain(part.result.form(z))
    scopes = []
    for row in answer_sizes(part)[:3]:
        sizes = dict(part.namespace(row).sizes)
        shape = next(v for v in part.variables if v.name == part.result.over).numeric_shape(sizes)
        for position in itertools.product(*(range(n) for n in shape)):
            scopes.append({**sizes, **dict(zip((str(x) for x in part.result.free), position))})
    for node in sorted(expr.atoms(sp.floor, sp.Mod), key=sp.count_ops, reverse=True):
        for candidate in (sp.S.Zero, node.args[0]):
            value, target = compile_index(node), compile_index(candidate)
            if all(value(scope, {}) == target(scope, {}) for scope in scopes):
                expr = expr.xreplace({node: candidate})
                break
    return _written_latex(expr)


def _written_latex(expr) -> str:
    from ..read.index_parse import _WrittenPrinter
    return _WrittenPrinter().doprint(expr)

