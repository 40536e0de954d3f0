"""A part's finished record, made once: its verification report, the checker's verdicts on its
declared slips, the instance SymPy computes from the forward definition and the numbers of its
demonstrations (worked tables).

``finish_all`` serves ``derive build`` (with the on-disk cache of ``OUT/.cache``); ``finish``
serves ``derive show`` and the notebook, and ``verified`` the pytest plugin and ``derive
verify``, each remembering what it made in this process, so a part shown twice in a notebook
is verified once.
"""
from __future__ import annotations

from fractions import Fraction
from typing import Callable, Mapping, Sequence

import numpy as np
import sympy as sp

from ..errors import ProofTimeout
from ..maths.zero import time_limit
from ..model.claim import Instance, PartRecord, PartReport, Worked
from ..model.part import Part
from ..render.printing import names_of
from ..render.sheets import equation
from ..verify.cache import ReportCache
from ..verify.claims import verify_part

INSTANCE_SIMPLIFY_SECONDS = 2.0   # simplify the shown instance, within this budget,
INSTANCE_SIMPLER = 0.6            # when that at least removes 40% of its operations

Stage = Callable[[str], None]

# What this process has made, by part (its id and the object itself: a reloaded module's part
# with the same id is another part) and settings.
_reports: dict[tuple, tuple[Part, PartReport]] = {}
_finishing: dict[tuple, tuple[Part, tuple, Instance | None, tuple[Worked, ...]]] = {}


def _remembered(memo: dict, key: tuple, part: Part, make: Callable):
    kept = memo.get(key)
    if kept is None or kept[0] is not part:
        kept = memo[key] = (part, *make())
    return kept[1:]


def verified(part: Part, *, seed: int = 0, budget: float = 10.0, cases: int | None = None) -> PartReport:
    """The part's verification report, verified once per process and settings."""
    key = (part.id, id(part), seed, budget, cases)
    return _remembered(_reports, key, part, lambda: (verify_part(part, seed=seed, budget=budget, cases=cases),))[0]


def verify_all(parts: Sequence[Part], *, seed: int, budget: float, cases: int | None,
               stage: Stage | None = None) -> dict[str, PartReport]:
    """Each part's report (``derive verify``), naming each part to ``stage`` as it begins."""
    reports = {}
    for n, part in enumerate(parts, 1):
        if stage:
            stage(f"verifying {part.id} ({n}/{len(parts)})")
        reports[part.id] = verified(part, seed=seed, budget=budget, cases=cases)
    return reports


def finish(part: Part, *, seed: int = 0, budget: float = 10.0, cases: int | None = None,
           report: PartReport | None = None) -> PartRecord:
    """The part's finished record; verified here unless its ``report`` is given."""
    report = report or verified(part, seed=seed, budget=budget, cases=cases)
    slips, instance, numbers = _remembered(_finishing, (part.id, id(part), seed), part,
                                           lambda: (judge_slips(part, seed), shown_instance(part), worked(part)))
    return PartRecord(report, slips, instance, numbers)


def finish_all(parts: Sequence[Part], *, seed: int, budget: float, cases: int | None,
               stage: Stage | None = None, cache: ReportCache | None = None) -> dict[str, PartRecord]:
    """Every part's record (``derive build``): verified (or reused from ``cache`` while nothing
    it depends on changed), then its slips judged, its instance and worked numbers computed,
    with each stage named to ``stage``."""
    say = stage or (lambda message: None)
    settings = {"seed": seed, "budget": budget, "cases": cases}
    records: dict[str, PartRecord] = {}
    reports: dict[str, PartReport] = {}
    for n, part in enumerate(parts, 1):
        cached = cache.load(part, settings) if cache else None
        say(f"{'cached' if cached else 'verifying'} {part.id} ({n}/{len(parts)})")
        if cached:
            records[part.id] = cached
        else:
            reports[part.id] = verify_part(part, seed=seed, budget=budget, cases=cases)
    fresh = [p for p in parts if p.id in reports]
    with_slips = [p for p in fresh if p.slips]
    for n, part in enumerate(with_slips, 1):
        say(f"judging the slips of {part.id} ({n}/{len(with_slips)})")
        records[part.id] = PartRecord(reports[part.id], judge_slips(part, seed))
    for part in fresh:
        say(f"computing what SymPy derives and the worked numbers for {part.id}")
        slips = records[part.id].slips if part.id in records else ()
        records[part.id] = PartRecord(reports[part.id], slips, shown_instance(part), worked(part))
        if cache:
            cache.store(records[part.id], settings)
    return {p.id: records[p.id] for p in parts}


def judge_slips(part: Part, seed: int = 0) -> tuple[dict, ...]:
    """Each declared slip judged by ``derive check``'s judge, in this process, as plain data."""
    from ..answers.decide.judge import judge
    verdicts = []
    for slip in part.slips:
        verdict = judge(part, slip.answer, seed=seed)
        verdicts.append({"answer": slip.answer, "why": slip.why, "status": verdict.status,
                         "parsed": verdict.parsed, "counterexample": verdict.counterexample,
                         "diagnosis": verdict.diagnosis and verdict.diagnosis.to_json()})
    return tuple(verdicts)


def _number(value):
    """A worked number as plain data: SymPy and NumPy numbers as int or float, an exact
    fraction kept exact (the sheet prints it as one)."""
    if isinstance(value, sp.Rational) and not value.is_Integer:
        return Fraction(int(value.p), int(value.q))
    if isinstance(value, sp.Basic):
        return int(value) if value.is_Integer else float(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value


def worked(part: Part) -> tuple[Worked, ...]:
    """The numbers of each demonstration, computed once (some take seconds)."""
    out = []
    for demo in part.demonstrations:
        columns, table = getattr(demo, "columns", None), getattr(demo, "table", None)
        if columns and callable(table):
            rows = tuple((str(row[0]), *(_number(v) for v in row[1:])) for row in table())
            out.append(Worked(demo.caption, tuple(columns), rows))
        else:
            out.append(Worked(demo.caption, (), tuple((str(a), str(b)) for a, b in demo.compute())))
    return tuple(out)


def simplified(expr):
    """SymPy's own simplification of an instance, within a small budget (else as derived)."""
    gave_up = False

    def one(e):
        nonlocal gave_up
        if gave_up:   # entries of one instance are alike: one that ran out of time, all would
            return e
        try:
            with time_limit(INSTANCE_SIMPLIFY_SECONDS):
                simpler = min((sp.simplify(e), sp.factor(e)), key=sp.count_ops)
        except ProofTimeout:
            gave_up = True
            return e
        except (TypeError, ValueError, AttributeError, NotImplementedError, sp.PolynomialError):
            return e
        # Only a clear gain: a rewrite of the same size would hide what the derivation did.
        return simpler if sp.count_ops(simpler) <= INSTANCE_SIMPLER * sp.count_ops(e) else e
    if isinstance(expr, sp.MatrixBase):
        return expr.applyfunc(one)
    return one(expr) if isinstance(expr, sp.Basic) and not expr.is_Relational else expr


def shown_instance(part: Part) -> Instance | None:
    """The derived result at the part's instance size (default: its smallest proof size),
    simplified and printed; None when the part shows none or derive fails (the verification
    report already carries that failure)."""
    if not part.show_instance:
        return None
    sizes: Mapping[str, int] = (dict(part.instance_sizes) if part.instance_sizes is not None
                                else part.proof_sizes()[0])
    try:
        derived = simplified(part.derive(part.namespace(sizes)))
    except Exception:
        return None
    if isinstance(derived, sp.MatrixBase) and derived.shape == (1, 1):
        derived = derived[0, 0]
    return Instance(equation(part.result_lhs, derived, names_of(part.variables)), dict(sizes))
