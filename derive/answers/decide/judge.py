"""Checking a submitted answer against a part: ``check(part_id, answer) -> Verdict``.

The answer is parsed by the project's grammar (never eval'd). An expression answer is
evaluated in float64 at seeded random points of the part's domain, at every size up to 12
for the sizes it uses as numbers, and on both sides of every breakpoint; floats only
propose, and every point that decides is decided in high precision (decision.py,
precision.py). An exact SymPy proof, with the sizes symbolic where it can, says for which
sizes the answer is proved (the verdict's ``evidence``). Inequality answers are compared
as exact sets (sets.py). A wrong answer gets a confirmed counterexample in the user's own
spellings and a diagnosis of the likely slip. Each check runs in a warm worker process
under a hard time limit, so no input can hang or crash the caller.

>>> check("softmax.ce_grad", "yhat - y").status          # doctest: +SKIP
'correct'
"""
from __future__ import annotations

import numpy as np

from ..read.nodes import show_shape
from .equivalence import (Comparison, compare, compare_relation, target, vocabulary)
from ...errors import AnswerSyntaxError
from ...model.part import Part
from ..read.parse import Answer, parse_answer
from .diagnosis import diagnose
from ...model.verdict import CORRECT, INCORRECT, INVALID, UNDECIDED, Diagnosis, Verdict
from .presentation import _counterexample, _latex, _point_text, _shape_of_array, _size_text
from .presentation import precise_counterexample
from .decision import EQUAL, DIFFERENT, decide_answer, depends_on, evidence_text, prove_sizes, prove_at
from ..read.limits import AnswerLimitError
from ..read.nodes import AnswerRangeError, SlipError
from .points import breakpoint_batches, sizes_used_as_numbers, sweep_batches
from .sets import judge_sets, sampled_wrong
from .index_judge import expected_index_latex, is_index_part, judge_indexed

def judge(part: Part, text: str, *, syntax: str = "auto", seed: int = 0,
          proof_budget: float = 1.0, exact: bool = True) -> Verdict:
    """Check in this process, without the hard time limit (the worker calls this).

    ``exact=False`` gives the old float-only decisions (tolerance 1e-8, sampled sets), kept
    only as the benchmarks' baseline: it can accept s - y + 9e-9.
    """
    if is_index_part(part):   # tensors are answered in index notation, decided exactly
        return judge_indexed(part, text, syntax=syntax, seed=seed, proof_budget=proof_budget)
    try:
        answer = parse_answer(text, vocabulary(part), syntax=syntax)
    except SlipError as exc:
        return Verdict(INCORRECT, str(exc), diagnosis=exc.diagnosis, part=part.id,
                       position=exc.position)
    except AnswerSyntaxError as exc:
        return Verdict(INVALID, str(exc), part=part.id, position=exc.position)
    key = (part.id, answer.tree, tuple(sorted(answer.spelled.items())), seed, exact)
    hit = _VERDICTS.get(key) if CACHE_VERDICTS else None
    if hit is not None and hit[0] is part:
        return hit[1]
    try:
        verdict = (_judge_exact if exact else _judge_parsed)(part, answer, seed, proof_budget)
    except AnswerRangeError as exc:
        error = AnswerLimitError(str(exc), answer.text, exc.pos)
        verdict = Verdict(INVALID, str(error), part=part.id, position=exc.pos)
    if len(_VERDICTS) > 20_000:   # a grading run repeats answers; memory stays bounded
        _VERDICTS.clear()
    _VERDICTS[key] = (part, verdict)
    return verdict


# Verdicts by (part, parsed tree, spellings, seed): the same answer typed differently
# by many students is judged once.
_VERDICTS: dict[tuple, tuple] = {}
CACHE_VERDICTS = True


def _judge_parsed(part: Part, answer: Answer, seed: int, proof_budget: float) -> Verdict:
    parsed = answer.latex()
    tgt = target(part)
    batches = tgt.batches(seed)
    if not batches:
        return Verdict(UNDECIDED, "no random point of this part's domain could be evaluated",
                       parsed=parsed, part=part.id)
    if tgt.is_relation:
        return _judge_relation(part, answer, tgt, seed, parsed)
    if answer.is_relation:
        return Verdict(INCORRECT, "expected an expression, not an inequality", parsed=parsed,
                       part=part.id, diagnosis=Diagnosis("shape", "an inequality where an expression is "
                                                                   "expected"))
    try:
        result = compare(answer, batches)
    except (ValueError, ArithmeticError, np.linalg.LinAlgError, KeyError, IndexError) as exc:
        return Verdict(UNDECIDED, f"the answer could not be evaluated at the random points ({exc})",
                       parsed=parsed, part=part.id)
    if result.equal is None:
        return Verdict(UNDECIDED, "no random point gave a defined value to compare", parsed=parsed,
                       part=part.id)
    if result.equal:
        # The float-only baseline proves at the smallest size only, as derive did before.
        proved = proof_budget > 0 and prove_at(answer, part, part.proof_sizes()[0], proof_budget)
        sizes = ", ".join(_size_text(b.sizes) for b in batches)
        how = (f"proved exactly at {_size_text(part.proof_sizes()[0])} and equal at "
               f"{result.points} random points" if proved else
               f"equal to the expected answer at {result.points} random points")
        return Verdict(CORRECT, f"Correct: {how} ({sizes}).", parsed=parsed, part=part.id,
                       method="proved" if proved else "tested", points=result.points)
    diagnosis = diagnose(answer, part, tgt, batches, result)
    k, i = result.failure
    batch = batches[k]
    counter = _counterexample(answer, batch, i, result.answer_values[k][i], batch.expected[i])
    if not result.shape_ok:
        message = (f"Your answer is {show_shape(answer.shape)} but the expected answer is "
                   f"{_shape_of_array(batch.expected[0], batch.sizes, answer)}.")
    else:
        message = "Not equal to the expected answer: " + _point_text(counter)
    if diagnosis:
        message += " Likely slip: " + diagnosis.detail + "."
    return Verdict(INCORRECT, message, counter, diagnosis, parsed, part.id, points=result.points)


def _judge_exact(part: Part, answer: Answer, seed: int, proof_budget: float) -> Verdict:
    """Floats propose, high precision decides, proofs say for which sizes (decision.py)."""
    parsed = answer.latex()
    tgt = target(part)
    base = tgt.batches(seed)
    if not base:
        return Verdict(UNDECIDED, "no random point of this part's domain could be evaluated",
                       parsed=parsed, part=part.id)
    if tgt.is_relation:
        if not answer.is_relation:
            return _judge_relation(part, answer, tgt, seed, parsed)
        return judge_sets(part, answer, tgt, seed, parsed)
    if answer.is_relation:
        return Verdict(INCORRECT, "expected an expression, not an inequality", parsed=parsed,
                       part=part.id, diagnosis=Diagnosis("shape", "an inequality where an expression is "
                                                                   "expected"))
    batches = list(base) + sweep_batches(tgt, seed, sizes_used_as_numbers(answer))
    ordinary = len(batches)
    batches += breakpoint_batches(answer, tgt, base)
    try:
        result = compare(answer, batches)
    except AnswerRangeError:
        raise
    except (ValueError, ArithmeticError, np.linalg.LinAlgError, KeyError, IndexError) as exc:
        return Verdict(UNDECIDED, f"the answer could not be evaluated at the random points ({exc})",
                       parsed=parsed, part=part.id)
    tested = [b.sizes for b in batches]
    if not result.shape_ok:
        return _wrong(part, answer, tgt, batches, result, parsed, None)
    outcome = decide_answer(answer, part, batches, result.answer_values, ordinary)
    if outcome.status == DIFFERENT:
        return _wrong(part, answer, tgt, batches, result, parsed, outcome, ordinary)
    if outcome.status != EQUAL:
        return Verdict(UNDECIDED, f"Equal at {outcome.equal_points} points decided in high precision, "
                       f"but {outcome.unknown} could not be decided (undefined there, or more than "
                       "4000 digits needed), so neither correct nor incorrect can be claimed.",
                       parsed=parsed, part=part.id, points=result.points,
                       evidence=f"tested at {outcome.equal_points} points; {outcome.unknown} undecided")
    all_sizes, proved = prove_sizes(answer, part, proof_budget)
    evidence = evidence_text(all_sizes, proved, tested, result.points, outcome.digits)
    return Verdict(CORRECT, f"Correct: {evidence}.", parsed=parsed, part=part.id,
                   method="proved" if (all_sizes or proved) else "tested", points=result.points,
                   evidence=evidence)


def _wrong(part, answer, tgt, batches, result, parsed, outcome, ordinary=None) -> Verdict:
    # Diagnose on the ordinary points (extreme ones blur the patterns a slip leaves), unless
    # only extreme points show the difference.
    if outcome is not None and ordinary is not None and outcome.batch < ordinary:
        view = Comparison(result.equal, result.shape_ok, result.answer_values[:ordinary],
                          result.failure, result.points)
        diagnosis = diagnose(answer, part, tgt, batches[:ordinary], view)
    else:
        diagnosis = diagnose(answer, part, tgt, batches, result)
    tested = f"tested at {result.points} points"
    if outcome is None:   # a shape mismatch is exact: no precision needed
        k, i = result.failure
        batch = batches[k]
        counter = _counterexample(answer, batch, i, result.answer_values[k][i], batch.expected[i])
        message = (f"Your answer is {show_shape(answer.shape)} but the expected answer is "
                   f"{_shape_of_array(batch.expected[0], batch.sizes, answer)}.")
    else:
        batch = batches[outcome.batch]
        wanted = set(answer.names) | depends_on(part, tgt, batch.sizes)
        shown = [v.name for v in part.variables if v.name in wanted]
        counter = precise_counterexample(answer, batch.sizes, outcome.decision, shown)
        message = ("Not equal to the expected answer: " + _point_text(counter)[:-1]
                   + f" (confirmed at {outcome.decision.digits} digits).")
    if diagnosis:
        message += " Likely slip: " + diagnosis.detail + "."
    return Verdict(INCORRECT, message, counter, diagnosis, parsed, part.id, points=result.points,
                   evidence=tested)


def _judge_relation(part, answer, tgt, seed, parsed) -> Verdict:
    if not answer.is_relation:
        return Verdict(INCORRECT, "expected an inequality (a condition such as 0 < eps < 2/lambda_max)",
                       parsed=parsed, part=part.id, diagnosis=Diagnosis("shape", "an expression where a "
                                                                        "condition is expected"))
    rc = compare_relation(answer, part, tgt, seed)
    if rc.equal is None:
        return Verdict(UNDECIDED, "the sets could not be compared", parsed=parsed, part=part.id)
    if rc.equal:
        return Verdict(CORRECT, f"Correct: the same set at {rc.points} sampled points on both sides "
                       "of every boundary.", parsed=parsed, part=part.id, method="tested",
                       points=rc.points)
    return sampled_wrong(part, answer, rc, parsed)


def expected_latex(part: Part) -> str:
    """The expected answer in LaTeX (shown only on request: --reveal)."""
    if is_index_part(part):
        return expected_index_latex(part)
    try:
        return _latex(part.result(part.general), part)
    except Exception:
        ns = part.namespace(part.proof_sizes()[0])
        return _latex(part.result(ns), part)
