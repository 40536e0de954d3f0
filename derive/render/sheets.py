"""What a solution sheet says, as plain data: every formula already printed to LaTeX by
derive's printer, every verification fact already put into words.

Templates receive these objects and only loop over them. Two kinds of string reach a
template: *display* LaTeX (``lhs = rhs``, no dollars) and *inline text*, prose in which
math sits between ``$...$``. Everything else (escaping, MathML, boxes) is the renderer's.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Mapping, Sequence

import sympy as sp

from ..errors import InvalidArgument, ProblemDefinitionError
from ..model.part import Part, Variable
from .printing import latex, names_of
from ..model.registry import Family
from ..verify.claims import FAILED, PASSED, PROVED, REFUTED, TESTED, Claim, PartReport

# A computed instance longer than this much LaTeX is more noise than help on a sheet.
INSTANCE_MAX_CHARS = 260

OUTCOME_LABELS = {PROVED: "proved", PASSED: "passed", REFUTED: "refuted",
                  TESTED: "unproved but tested", FAILED: "failed"}


@dataclass(frozen=True)
class StepView:
    equation: str        # display LaTeX: "lhs = rhs", or "\phantom{lhs} = rhs" continuing a chain
    why: str             # inline text
    outcome: str
    detail: str          # inline text, empty when the step is proved


@dataclass(frozen=True)
class Check:
    """One line of the verification list: a heading, an outcome and sentences."""
    heading: str
    outcome: str
    lines: tuple[str, ...]          # inline text
    counterexample: tuple[str, ...] = ()

    @property
    def outcome_label(self) -> str:
        return OUTCOME_LABELS.get(self.outcome, self.outcome)


@dataclass(frozen=True)
class Table:
    caption: str                    # inline text
    rows: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class FigureView:
    stem: str                       # file name without extension, [a-z0-9-]
    caption: str                    # inline text
    draw: object                    # the part's draw(ax); figures.py calls it


@dataclass(frozen=True)
class PartSheet:
    id: str
    anchor: str                     # HTML id: the part id itself, so links name the part
    label: str                      # LaTeX label: letters, digits and hyphens only
    title: str
    statement: str                  # inline text
    notation: tuple[str, ...]       # inline text, one per variable
    steps: tuple[StepView, ...]
    result: str                     # display LaTeX "lhs = closed form"
    instance: str | None            # display LaTeX, the derived result at the smallest size
    instance_label: str             # inline text
    outcome: str
    outcome_label: str
    checks: tuple[Check, ...]
    demonstrations: tuple[Table, ...]
    figures: tuple[FigureView, ...]


@dataclass(frozen=True)
class FamilySheet:
    name: str
    title: str
    intro: str                      # inline text
    parts: tuple[PartSheet, ...]

    @property
    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for part in self.parts:
            out[part.outcome] = out.get(part.outcome, 0) + 1
        return out

    @property
    def outcome(self) -> str:
        counts = self.counts
        return next((o for o in (REFUTED, FAILED, TESTED) if o in counts), PROVED)

    @property
    def summary(self) -> str:
        return ", ".join(f"{n} {OUTCOME_LABELS[o]}" for o, n in self.counts.items())


def scientific(x: float | None) -> str:
    """A float as inline LaTeX: 3.1e-11 -> $3.1 \\times 10^{-11}$, 1e-06 -> $10^{-6}$."""
    if x is None:
        return "n/a"
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "$\\infty$" if x > 0 else "$-\\infty$"
    mantissa, _, exponent = f"{x:.2g}".partition("e")
    if not exponent:
        return f"${mantissa}$"
    power = f"10^{{{int(exponent)}}}"
    return f"${power}$" if mantissa == "1" else f"${mantissa} \\times {power}$"


def _product(numbers) -> int:
    total = 1
    for n in numbers:
        total *= n
    return total


def _sizes_sentence(labels: Sequence[str]) -> str:
    """("C=2", "C=3") -> "at $C = 2, 3$"; several dimensions keep one tuple per size."""
    if not labels or list(labels) == ["scalar"]:
        return ""
    pairs = [[item.split("=") for item in label.split(", ")] for label in labels]
    names = [[n for n, _ in p] for p in pairs]
    if all(n == names[0] for n in names) and len(names[0]) == 1:
        return f"at ${names[0][0]} = {', '.join(p[0][1] for p in pairs)}$"
    if all(n == names[0] for n in names):
        values = [sorted({int(p[k][1]) for p in pairs}) for k in range(len(names[0]))]
        if len(labels) == len(set(labels)) == _product(len(v) for v in values):
            grid = ", ".join(f"{n} \\in \\{{{', '.join(map(str, v))}\\}}" for n, v in zip(names[0], values))
            return f"at all {len(labels)} sizes with ${grid}$"
    return "at " + "; ".join("$" + ", ".join(f"{n} = {v}" for n, v in p) + "$" for p in pairs)


def _joined(what: str, where: str, how: str) -> str:
    return f"{what}{' ' + where if where else ''}: {how}."


def _counterexample_lines(counter: Mapping | None) -> tuple[str, ...]:
    if not counter:
        return ()
    return tuple(f"{key}: {value}" for key, value in counter.items() if value not in ({}, [], None, ""))


def _variable_note(var: Variable, general) -> str:
    name = var.latex or latex(general.objects[var.name])
    if not var.shape:
        kind = "scalar"
    elif len(var.shape) == 1:
        kind = f"vector of size ${var.shape[0]}$"
    else:
        kind = f"${var.shape[0]} \\times {var.shape[1]}$ matrix"
    text = f"${name}$: {kind}, {var.domain.description}"
    if var.definition is not None:
        definition = latex(var.definition(general), names_of(general.variables.values()))
        text += f"; ${name} = {definition}$"
    return text


def _index_symbols(indices: str) -> list[sp.Symbol]:
    return [sp.Symbol(c, integer=True) for c in indices]


def _steps(part: Part, claims: Sequence[Claim]) -> tuple[StepView, ...]:
    names = names_of(part.variables)
    views, previous = [], None
    for step, claim in zip(part.steps, claims):
        rhs = latex(step.rhs(part.general, *_index_symbols(step.indices)), names)
        # Consecutive steps about the same quantity read as one chain of equalities.
        lhs = rf"\phantom{{{step.lhs}}}" if step.lhs == previous else step.lhs
        previous = step.lhs
        detail = "" if claim.outcome == PROVED else claim.detail
        views.append(StepView(f"{lhs} = {rhs}", step.why, claim.outcome, detail))
    return tuple(views)


def _instance(part: Part) -> tuple[str | None, str]:
    sizes = part.proof_sizes()[0]
    try:
        derived = part.derive(part.namespace(sizes))
    except Exception:  # the verification report already carries any failure of derive
        return None, ""
    if isinstance(derived, sp.MatrixBase) and derived.shape == (1, 1):
        derived = derived[0, 0]
    tex = latex(derived, names_of(part.variables))
    if len(tex) > INSTANCE_MAX_CHARS:
        return None, ""
    where = f" at ${', '.join(f'{k} = {v}' for k, v in sizes.items())}$" if sizes else ""
    return f"{part.result_lhs} = {tex}", f"What SymPy computes from the forward definition{where}:"


def _closed_form_check(claim: Claim) -> Check:
    if claim.outcome == PROVED:
        lines = (_joined("Proved", _sizes_sentence(claim.sizes), claim.method),)
    elif claim.outcome == REFUTED:
        lines = (f"Refuted: {claim.detail}.", "The closed form and the derivation differ at this point:")
    else:
        lines = (f"Not proved: {claim.detail}.",)
        if claim.sizes:
            lines += (f"Proved {_sizes_sentence(claim.sizes)} before that.",)
    return Check("Closed form", claim.outcome, lines, _counterexample_lines(claim.counterexample))


def _steps_check(claims: Sequence[Claim]) -> Check | None:
    if not claims:
        return None
    failing = [(n, c) for n, c in enumerate(claims, 1) if c.outcome != PROVED]
    outcome = next((o for o in (REFUTED, FAILED, TESTED) if any(c.outcome == o for _, c in failing)), PROVED)
    if not failing:
        every = "The step" if len(claims) == 1 else f"All {len(claims)} steps"
        lines = [_joined(f"{every} proved", _sizes_sentence(claims[0].sizes), claims[0].method)]
    else:
        lines = [f"{len(claims) - len(failing)} of {len(claims)} steps proved."]
        lines += [f"Step {n} {OUTCOME_LABELS[c.outcome]}: {c.detail}." for n, c in failing]
    return Check("Derivation steps", outcome, tuple(lines))


def _numeric_check(claim: Claim, cases_label: str) -> Check:
    lines = [f"Method: {claim.method}.",
             f"{claim.cases} {cases_label}{' (' + '; '.join(claim.sizes) + ')' if claim.sizes else ''}.",
             f"Worst scaled error {scientific(claim.worst_error)} against a tolerance of "
             f"{scientific(claim.tolerance)}: {claim.detail}."]
    if claim.outcome != PASSED:
        lines.append("Failing case:")
    return Check("Numeric cross-check", claim.outcome, tuple(lines), _counterexample_lines(claim.counterexample))


def _other_check(claim: Claim) -> Check:
    """A further check a part declares (an induction, a simulation), in its own words."""
    if claim.sizes == ("symbolic",):
        where = "for every size (symbolic)"
    else:
        where = _sizes_sentence(claim.sizes) if claim.sizes else ""
    lines = [f"Method: {claim.method}{' ' + where if where and claim.cases == 0 else ''}."]
    if claim.cases:
        lines.append(f"{claim.cases} random case{'s' if claim.cases != 1 else ''}; worst error "
                     f"{scientific(claim.worst_error)} against a tolerance of {scientific(claim.tolerance)}"
                     f"{': ' + claim.detail if claim.detail else ''}.")
    elif claim.detail and claim.outcome not in (PROVED, PASSED):
        lines.append(f"{claim.detail}.")
    if claim.counterexample:
        lines.append("Failing case:")
    heading = f"{claim.kind.capitalize()}: {claim.statement}"
    return Check(heading, claim.outcome, tuple(lines), _counterexample_lines(claim.counterexample))


def _checks(report: PartReport) -> tuple[Check, ...]:
    closed = [c for c in report.claims if c.kind == "closed form"]
    steps = [c for c in report.claims if c.kind == "step"]
    checks = [_closed_form_check(c) for c in closed]
    step_check = _steps_check(steps)
    if step_check:
        checks.append(step_check)
    numeric = report.numeric()
    if numeric is not None:
        cases = "random case" if numeric.cases == 1 else "random cases"
        checks.append(_numeric_check(numeric, cases))
    known = {"closed form", "step", "numeric"}
    checks += [_other_check(c) for c in report.claims if c.kind not in known]
    return tuple(checks)


_STEM = re.compile(r"[^a-z0-9]+")


def figure_stem(part: Part, name: str) -> str:
    """A file name safe for every output (LaTeX dislikes dots and underscores)."""
    stem = _STEM.sub("-", f"{part.family}-{name}".lower()).strip("-")
    if not stem:
        raise ProblemDefinitionError(f"{part.id}: figure name {name!r} has no letters or digits")
    return stem


def part_sheet(part: Part, report: PartReport) -> PartSheet:
    """The sheet of one part, from its declaration and its verification report."""
    if report.part.id != part.id:
        raise InvalidArgument(f"report for {report.part.id!r} given for part {part.id!r}")
    names = names_of(part.variables)
    steps = [c for c in report.claims if c.kind == "step"]
    instance, instance_label = _instance(part)
    result = f"{part.result_lhs} = {latex(part.result(part.general), names)}"
    if instance == result:   # nothing to add when SymPy's own output is already the result
        instance, instance_label = None, ""
    return PartSheet(
        id=part.id, anchor=part.id, label=_STEM.sub("-", part.id.lower()), title=part.title, statement=part.statement,
        notation=tuple(_variable_note(v, part.general) for v in part.variables),
        steps=_steps(part, steps),
        result=result,
        instance=instance, instance_label=instance_label,
        outcome=report.outcome, outcome_label=OUTCOME_LABELS[report.outcome],
        checks=_checks(report),
        demonstrations=tuple(Table(d.caption, tuple((str(a), str(b)) for a, b in d.compute()))
                             for d in part.demonstrations),
        figures=tuple(FigureView(figure_stem(part, f.name), f.caption, f.draw) for f in part.figures),
    )


def family_sheet(family: Family, reports: Mapping[str, PartReport]) -> FamilySheet:
    missing = [p.id for p in family.parts if p.id not in reports]
    if missing:
        raise InvalidArgument(f"no verification report for parts {missing} of family {family.name!r}; "
                              "verify them first (derive.verify_part)")
    parts = tuple(part_sheet(p, reports[p.id]) for p in family.parts)
    stems = [f.stem for p in parts for f in p.figures]
    clash = sorted({s for s in stems if stems.count(s) > 1})
    if clash:
        raise ProblemDefinitionError(f"family {family.name!r}: two figures share the file name {clash}; "
                                     "give each figure of a family its own name")
    return FamilySheet(family.name, family.title, family.intro, parts)
