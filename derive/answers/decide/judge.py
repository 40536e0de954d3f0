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
from .equivalence import Comparison, compare, target, vocabulary
from ...errors import AnswerLimitError, AnswerRangeError, AnswerSyntaxError, RecognisedSlip
from ...model.part import Part
from ..read.parse import Answer, Vocabulary, parse_answer
from .diagnosis import diagnose
from ...model.verdict import INCORRECT, INVALID, UNDECIDED, Diagnosis, Verdict
from .presentation import _counterexample, _latex, _point_text, _precise_value, _shape_of_array
from .presentation import correct_verdict, incorrect_verdict, precise_counterexample, unproved_verdict
from .decision import EQUAL, DIFFERENT, decide_answer, depends_on, evidence_text, precise_target, prove_sizes
from .shrink import shrunk
from .domains import defined_beyond, expected_undefined
from .points import answer_constants, breakpoint_batches, sizes_used_as_numbers, sweep_batches
from .sets import judge_sets
from .equivalence import is_index_part
from .index_judge import expected_index_latex, judge_indexed

def judge(part: Part, text: str, *, syntax: str = "auto", seed: int = 0,
          proof_budget: float = 2.0) -> Verdict:
    """Check in this process, without the hard time limit (the worker calls this)."""
    if is_index_part(part):   # tensors are answered in index notation, decided exactly
        return judge_indexed(part, text, syntax=syntax, seed=seed, proof_budget=proof_budget)
    answer = read_answer(text, vocabulary(part), part.id, syntax=syntax)
    if isinstance(answer, Verdict):
        return answer
    key = (part.id, answer.tree, tuple(sorted(answer.spelled.items())), seed)
    hit = _VERDICTS.get(key)
    if hit is not None and hit[0] is part:
        return hit[1]
    verdict = judge_answer(part, answer, seed, proof_budget)
    if len(_VERDICTS) > 20_000:   # a grading run repeats answers; memory stays bounded
        _VERDICTS.clear()
    _VERDICTS[key] = (part, verdict)
    return verdict


# Verdicts by (part, parsed tree, spellings, seed): the same answer typed differently
# by many students is judged once.
_VERDICTS: dict[tuple, tuple] = {}


def read_answer(text: str, vocab: Vocabulary, part_id: str, **parsing) -> Answer | Verdict:
    """The parsed answer, or the verdict reading alone gives: invalid for text outside the
    answer language, incorrect for a slip the reader recognises (with its diagnosis)."""
    try:
        return parse_answer(text, vocab, **parsing)
    except RecognisedSlip as slip:
        return Verdict(INCORRECT, str(slip), diagnosis=slip.diagnosis, part=part_id,
                       position=slip.position)
    except AnswerSyntaxError as exc:
        return Verdict(INVALID, str(exc), part=part_id, position=exc.position)


def judge_answer(part: Part, answer: Answer, seed: int, proof_budget: float) -> Verdict:
    """The verdict on a parsed answer; a sum longer than allowed at a size it is evaluated
    at makes the answer invalid (it would be at every large enough size)."""
    try:
        return _judge_exact(part, answer, seed, proof_budget)
    except AnswerRangeError as exc:
        error = AnswerLimitError(str(exc), answer.text, exc.pos)
        return Verdict(INVALID, str(error), part=part.id, position=exc.pos)


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
            return Verdict(INCORRECT, "expected an inequality (a condition such as 0 < eps < 2/lambda_max)",
                           parsed=parsed, part=part.id,
                           diagnosis=Diagnosis("shape", "an expression where a condition is expected"))
        return judge_sets(part, answer, tgt, seed, parsed)
    if answer.is_relation:
        return Verdict(INCORRECT, "expected an expression, not an inequality", parsed=parsed,
                       part=part.id, diagnosis=Diagnosis("shape", "an inequality where an expression is "
                                                                   "expected"))
    thresholds = tuple(answer_constants(answer)[0])
    swept = sweep_batches(tgt, seed, sizes_used_as_numbers(answer, part), thresholds)
    batches = list(base) + swept
    ordinary = len(batches)
    batches += breakpoint_batches(answer, tgt, base, swept=swept)
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
    beyond = defined_beyond(answer, part, seed)
    if beyond is not None:
        return _defined_beyond(part, answer, beyond, parsed, result.points)
    route, proved = prove_sizes(answer, part, proof_budget)
    if outcome.status != EQUAL and route is None:
        return Verdict(UNDECIDED, f"Equal at {outcome.equal_points} points decided in high precision, "
                       f"but {outcome.unknown} could not be decided (undefined there, or more than "
                       "4000 digits needed), and no proof was found, so neither correct nor incorrect "
                       "can be claimed.", parsed=parsed, part=part.id, points=result.points,
                       evidence=f"tested at {outcome.equal_points} points; {outcome.unknown} undecided")
    evidence = evidence_text(route, proved, tested, result.points, outcome.digits)
    if route is None:   # tests only refute: equal everywhere tried is not a proof
        return unproved_verdict(part, evidence, parsed, result.points)
    return correct_verdict(part, evidence, parsed, True, result.points)


def _defined_beyond(part, answer, found, parsed, points) -> Verdict:
    """Incorrect: the answer has a real value at a point where the expected expression has none."""
    shown = [n for n in answer.names if n in found["point"]]
    counter = {"values": {answer.spelled.get(n, n): _precise_value(found["point"][n], 6) for n in shown},
               "answer": _precise_value(found["value"], 6), "expected": "undefined",
               "difference": "undefined", "precision": "60 digits"}
    message = ("Not equal to the expected answer: " + _point_text(counter)[:-1]
               + " (your answer is defined on a region where the expected expression is not).")
    diagnosis = Diagnosis("domain", "the answer is defined where the expected expression has no real value")
    return incorrect_verdict(part, message, counter, diagnosis, parsed, points, f"tested at {points} points")


def _wrong(part, answer, tgt, batches, result, parsed, outcome, ordinary=None) -> Verdict:
    # Diagnose on the ordinary points (extreme ones blur the patterns a slip leaves), unless
    # only extreme points show the difference.
    if outcome is not None and ordinary is not None and outcome.batch < ordinary:
        view = Comparison(result.equal, result.shape_ok, result.answer_values[:ordinary],
                          result.failure, result.points)
        diagnosis = diagnose(answer, part, tgt, batches[:ordinary], view, outcome.decision.error)
    else:
        diagnosis = diagnose(answer, part, tgt, batches, result,
                             outcome.decision.error if outcome is not None else None)
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
        point, decision = shrunk(answer, tgt, precise_target(part, batch.sizes), batch.points[outcome.index],
                                 batch.sizes, outcome.decision)
        counter = precise_counterexample(answer, batch.sizes, decision, shown, point)
        if expected_undefined(part, point):   # as written, though SymPy's form has a value there
            counter.update(expected="undefined", difference="undefined")
            diagnosis = Diagnosis("domain", "the answer is defined where the expected expression has no real value")
        message = ("Not equal to the expected answer: " + _point_text(counter)[:-1]
                   + f" (confirmed at {decision.digits} digits).")
    return incorrect_verdict(part, message, counter, diagnosis, parsed, result.points, tested)


def expected_latex(part: Part) -> str:
    """The expected answer in LaTeX (shown only on request: --reveal)."""
    if is_index_part(part):
        return expected_index_latex(part)
    try:
        return _latex(part.result(part.general), part)
    except Exception:
        ns = part.namespace(part.proof_sizes()[0])
        return _latex(part.result(ns), part)
