"""Inequality answers judged as sets, exactly: the answer and the expected condition are
solved for the variable they bound (SymPy's inequality solver, parameters such as
lambda_max kept symbolic), the two solution sets are compared end by end
(:mod:`derive.maths.sets`), and a difference is shown at the end where it lies. The
sampled comparison of :func:`~derive.answers.equivalence.compare_relation` stays as a
cross-check: when it disagrees with the exact comparison, the verdict is undecided.
"""
from __future__ import annotations

import sympy as sp

from ...errors import DeriveError, ProofTimeout
from ...maths.inequalities import NotSolvable, solution_set
from ...maths.sets import compare_sets
from ...maths.zero import time_limit
from .equivalence import RelationComparison, compare_relation, declared_slips
from ...model.verdict import CORRECT, INCORRECT, UNDECIDED, Diagnosis, Verdict
from .diagnosis import declared_slip
from .presentation import _latex, _round, incorrect_verdict

SET_BUDGET = 2.0


def _bound_variable(expected, ns) -> sp.Symbol | None:
    """The scalar variable every relation of the expected condition involves."""
    rels = list(expected.atoms(sp.core.relational.Relational))
    if not rels:
        return None
    common = set.intersection(*(set(r.free_symbols) for r in rels))
    scalars = {obj for obj in ns.objects.values() if isinstance(obj, sp.Symbol)}
    found = sorted(common & scalars, key=lambda s: s.name)
    return found[0] if found else None


def exact_sets(part, answer):
    """(expected set, answer set, variable, namespace) or None when SymPy cannot solve."""
    ns = part.namespace(part.proof_sizes()[0])
    try:
        with time_limit(SET_BUDGET):
            expected = part.result(ns)
            var = _bound_variable(expected, ns)
            if var is None:
                return None
            mine = answer.to_sympy(ns.objects, ns.sizes)
            if var not in getattr(mine, "free_symbols", set()):
                return None
            return solution_set(expected, var), solution_set(mine, var), var, ns
    except (NotSolvable, ProofTimeout, ValueError, TypeError, NotImplementedError, AttributeError,
            KeyError, RecursionError, DeriveError):
        return None


def judge_sets(part, answer, tgt, seed, parsed) -> Verdict:
    try:
        sampled = compare_relation(answer, part, tgt, seed)
    except (ValueError, ArithmeticError, KeyError, IndexError):
        sampled = RelationComparison(None)   # e.g. a condition with no variable in it
    solved = exact_sets(part, answer)
    if solved is None:
        evidence = f"tested at {sampled.points} points, not compared exactly"
        if sampled.equal is False:
            return sampled_wrong(part, answer, sampled, parsed, evidence)
        return Verdict(UNDECIDED, "The sets agree at every sampled point, but SymPy could not solve "
                       "them for an exact comparison of their ends.", parsed=parsed, part=part.id,
                       points=sampled.points, evidence=evidence)
    want, got, var, ns = solved
    try:
        with time_limit(SET_BUDGET):
            diff = compare_sets(got, want)
    except ProofTimeout:
        diff = None
    if diff is None or diff.equal is None:
        at = _at_sampled_parameters(got, want, var, tgt, seed)
        if at is not None:
            diff, subs = at
            return _exact_wrong(part, answer, diff, want, got, var, ns, tgt, seed, parsed, sampled, subs)
        return Verdict(UNDECIDED, "The ends of the two sets could not be ordered exactly.", parsed=parsed,
                       part=part.id, points=sampled.points,
                       evidence=f"tested at {sampled.points} points, not compared exactly")
    name = answer.spelled.get(var.name, var.name)
    if diff.equal:
        if sampled.equal is False:
            return Verdict(UNDECIDED, "The exact comparison and the sampled cross-check disagree.",
                           parsed=parsed, part=part.id, points=sampled.points)
        evidence = "proved"
        return Verdict(CORRECT, f"Correct: the same set of ${name}$, ${_latex(want.as_relational(var), part)}$ "
                       "(each end proved equal, openness compared).", parsed=parsed, part=part.id,
                       method="proved", points=sampled.points, evidence=evidence)
    return _exact_wrong(part, answer, diff, want, got, var, ns, tgt, seed, parsed, sampled)


def _at_sampled_parameters(got, want, var, tgt, seed):
    """Ends that cannot be ordered for every parameter value (2/lambda_min against
    2/lambda_max) are compared exactly at sampled parameters (as rationals): a difference
    there is a witness; None if the sets agree at every sample."""
    params = sorted((got.free_symbols | want.free_symbols) - {var}, key=lambda x: x.name)
    for batch in tgt.batches(seed)[:1]:
        for point in batch.points[:4]:
            if any(p.name not in point for p in params):
                return None
            subs = {p: sp.Rational(float(point[p.name])) for p in params}
            d = compare_sets(got.xreplace(subs), want.xreplace(subs))
            if d.equal is False:
                return d, subs
    return None


def _exact_wrong(part, answer, diff, want, got, var, ns, tgt, seed, parsed, sampled,
                 at: dict | None = None) -> Verdict:
    name = answer.spelled.get(var.name, var.name)
    witness = diff.witness
    where = _latex(witness, part) if not at else str(_round(float(witness)))
    if diff.reason == "closed":
        which = "lower" if diff.end == "lower" else "upper"
        if diff.in_first:
            meaning = (f"your condition includes the {which} end ${name} = {where}$, which the expected "
                       "set excludes")
        else:
            meaning = f"your condition excludes the {which} end ${name} = {where}$, which the expected set includes"
        diagnosis = Diagnosis("constraint", f"the {which} end ${where}$ should be "
                              + ("excluded (<, not <=)" if diff.in_first else "included (<=, not <)"))
    elif diff.reason == "shifted":
        meaning = (f"at ${name} = {where}$ your condition is {'true' if diff.in_first else 'false'} but the "
                   f"expected one is {'false' if diff.in_first else 'true'}")
        diagnosis = Diagnosis("constraint", f"the {diff.end} end differs: the expected one is "
                              f"${_latex(want.inf if diff.end == 'lower' else want.sup, part)}$")
    else:
        meaning = f"at ${name} = {where}$ one condition holds and the other does not"
        diagnosis = Diagnosis("constraint", "the set is empty on one side")
    slip = _slip_with_the_same_set(part, got, var, ns)
    if slip is not None:
        diagnosis = declared_slip(slip)
    expected_rel = _latex(want.as_relational(var), part)
    counter = {"values": {name: where}, "answer": bool(diff.in_first),
               "expected": not diff.in_first, "expected_set": expected_rel}
    example = _numeric_witness(witness, var, ns, tgt, seed, answer)
    if at:   # decided at sampled parameter values: they are part of the witness
        example = {answer.spelled.get(p.name, p.name): _round(float(v)) for p, v in at.items()}
        example[name] = _round(float(witness))
        meaning += " (at " + ", ".join(f"${k} = {v}$" for k, v in example.items() if k != name) + ")"
    if example:
        counter["example"] = example
    message = (f"Not the same set: {meaning}; the expected condition is ${expected_rel}$."
               + (f" For example at {', '.join(f'${k} = {v}$' for k, v in example.items())}."
                  if example and (witness.free_symbols or at) else "")
               + (f" Likely slip: {slip.why}." if slip else ""))
    return Verdict(INCORRECT, message, counter, diagnosis, parsed, part.id, points=sampled.points,
                   evidence="proved different (exact sets" + (", at sampled parameters)" if at else ")"))


def _slip_with_the_same_set(part, got, var, ns):
    """The part's declared slip (a Part.slips entry) whose set is exactly the answer's."""
    for slip, slip_answer in declared_slips(part):
        try:
            if not slip_answer.is_relation:
                continue
            with time_limit(SET_BUDGET):
                theirs = solution_set(slip_answer.to_sympy(ns.objects, ns.sizes), var)
                if compare_sets(got, theirs).equal is True:
                    return slip
        except (DeriveError, NotSolvable, ProofTimeout, ValueError, TypeError, NotImplementedError,
                AttributeError, KeyError, RecursionError):
            continue
    return None


def _numeric_witness(witness, var, ns, tgt, seed, answer) -> dict | None:
    """The witness at the first sampled values of the other symbols it involves."""
    others = sorted(witness.free_symbols, key=lambda s: s.name)
    if not others:
        return {answer.spelled.get(var.name, var.name): _round(float(witness))}
    batches = tgt.batches(seed)
    if not batches:
        return None
    point = batches[0].points[0]
    out, subs = {}, {}
    for sym in others:
        if sym.name not in point:
            return None
        value = sp.Rational(float(point[sym.name]))
        subs[sym] = value
        out[answer.spelled.get(sym.name, sym.name)] = _round(float(value))
    out[answer.spelled.get(var.name, var.name)] = _round(float(witness.xreplace(subs)))
    return out


def sampled_wrong(part, answer, rc, parsed, evidence=None) -> Verdict:
    """The verdict on an answer whose set differs at a sampled point, with the likely slip."""
    from .presentation import _user_values
    point = rc.failure["point"]
    counter = {"values": _user_values(answer, point), "answer": rc.failure["answer"],
               "expected": rc.failure["expected"]}
    where = ", ".join(f"${k} = {v}$" for k, v in counter["values"].items())
    message = (f"Not the same set: at {where} your condition is "
               f"{'true' if rc.failure['answer'] else 'false'} but the expected one is "
               f"{'true' if rc.failure['expected'] else 'false'}.")
    diagnosis = None
    if rc.missing is not None:
        diagnosis = Diagnosis("constraint", f"the condition ${_latex(rc.missing, part)}$ is missing")
    elif rc.superset:
        diagnosis = Diagnosis("constraint", "the set is too large (a condition is missing or too weak)")
    elif rc.subset:
        diagnosis = Diagnosis("constraint", "the set is too small (a condition is too strong)")
    return incorrect_verdict(part, message, counter, diagnosis, parsed, rc.points, evidence)
