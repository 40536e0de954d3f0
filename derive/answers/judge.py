"""Checking a submitted answer against a part: ``check(part_id, answer) -> Verdict``.

The answer is parsed by the project's grammar (never eval'd), compared with the part's
expected result numerically at seeded random points of the part's domain (always) and
exactly in SymPy (when cheap), and, when wrong, given a counterexample in the user's own
spellings and a diagnosis of the likely slip. Each check runs in a warm worker process
under a hard time limit, so no input can hang or crash the caller.

>>> check("softmax.ce_grad", "yhat - y").status          # doctest: +SKIP
'correct'
"""
from __future__ import annotations

import numpy as np

from .nodes import show_shape
from .equivalence import (compare, compare_relation, prove, target, vocabulary)
from ..errors import AnswerSyntaxError
from ..model.part import Part
from .parse import Answer, parse_answer
from .diagnosis import diagnose
from .verdict import CORRECT, INCORRECT, INVALID, UNDECIDED, Verdict, _counterexample, _latex, _point_text, _shape_of_array, _size_text, _user_values

def judge(part: Part, text: str, *, syntax: str = "auto", seed: int = 0,
          proof_budget: float = 1.0) -> Verdict:
    """Check in this process, without the hard time limit (the worker calls this)."""
    try:
        answer = parse_answer(text, vocabulary(part), syntax=syntax)
    except AnswerSyntaxError as exc:
        return Verdict(INVALID, str(exc), part=part.id, position=exc.position)
    key = (part.id, answer.tree, tuple(sorted(answer.spelled.items())), seed)
    hit = _VERDICTS.get(key) if CACHE_VERDICTS else None
    if hit is not None and hit[0] is part:
        return hit[1]
    verdict = _judge_parsed(part, answer, seed, proof_budget)
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
                       part=part.id, diagnosis="shape: an inequality where an expression is expected")
    try:
        result = compare(answer, batches)
    except (ValueError, ArithmeticError, np.linalg.LinAlgError, KeyError, IndexError) as exc:
        return Verdict(UNDECIDED, f"the answer could not be evaluated at the random points ({exc})",
                       parsed=parsed, part=part.id)
    if result.equal is None:
        return Verdict(UNDECIDED, "no random point gave a defined value to compare", parsed=parsed,
                       part=part.id)
    if result.equal:
        proved = prove(answer, part, proof_budget)
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
        message += " Likely slip: " + diagnosis.split(": ", 1)[1] + "."
    return Verdict(INCORRECT, message, counter, diagnosis, parsed, part.id, points=result.points)


def _judge_relation(part, answer, tgt, seed, parsed) -> Verdict:
    if not answer.is_relation:
        return Verdict(INCORRECT, "expected an inequality (a condition such as 0 < eps < 2/lambda_max)",
                       parsed=parsed, part=part.id, diagnosis="shape: an expression where a condition "
                       "is expected")
    rc = compare_relation(answer, part, tgt, seed)
    if rc.equal is None:
        return Verdict(UNDECIDED, "the sets could not be compared", parsed=parsed, part=part.id)
    if rc.equal:
        return Verdict(CORRECT, f"Correct: the same set at {rc.points} sampled points on both sides "
                       "of every boundary.", parsed=parsed, part=part.id, method="tested",
                       points=rc.points)
    diagnosis = None
    if rc.missing is not None:
        diagnosis = f"constraint: the condition {_latex(rc.missing, part)} is missing"
    elif rc.superset:
        diagnosis = "constraint: the set is too large (a condition is missing or too weak)"
    elif rc.subset:
        diagnosis = "constraint: the set is too small (a condition is too strong)"
    point = rc.failure["point"]
    counter = {"values": _user_values(answer, point),
               "answer": rc.failure["answer"], "expected": rc.failure["expected"]}
    where = ", ".join(f"{k} = {v}" for k, v in counter["values"].items())
    message = (f"Not the same set: at {where} your condition is "
               f"{'true' if rc.failure['answer'] else 'false'} but the expected one is "
               f"{'true' if rc.failure['expected'] else 'false'}.")
    if diagnosis:
        message += " Likely slip: " + diagnosis.split(": ", 1)[1] + "."
    return Verdict(INCORRECT, message, counter, diagnosis, parsed, part.id, points=rc.points)


def expected_latex(part: Part) -> str:
    """The expected answer in LaTeX (shown only on request: --reveal)."""
    try:
        return _latex(part.result(part.general), part)
    except Exception:
        ns = part.namespace(part.proof_sizes()[0])
        return _latex(part.result(ns), part)
