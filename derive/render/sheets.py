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
from fractions import Fraction
from typing import Callable, Mapping, Sequence

import sympy as sp

from ..errors import InvalidArgument, ProblemDefinitionError
from ..model.claim import Instance, PartRecord, SizeEntry, Worked, size_label
from ..model.part import Part, Variable
from .prose import computed_value, domain_text, for_readers
from .printing import explained, interval, latex, names_of
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
    rows: tuple[tuple[str, ...], ...]     # (label, value, ...), all inline text
    header: tuple[str, ...] = ()          # column names, for a table of worked quantities

    @property
    def tall(self) -> tuple[bool, ...]:
        """Per row: does it hold a fraction, root or big operator? Such a row is taller than a
        line of text, so print gives it a strut, or it touches the rows above and below."""
        return tuple(bool(_TALL_MATH.search(" ".join(row))) for row in self.rows)


_TALL_MATH = re.compile(r"\\(?:[dt]?frac|sqrt|sum|prod|int|binom|begin)(?![a-zA-Z])")


@dataclass(frozen=True)
class FigureView:
    stem: str                       # file name without extension, [a-z0-9-]
    caption: str                    # inline text
    draw: object                    # the part's draw(ax); figures.py calls it


@dataclass(frozen=True)
class SlipView:
    """A typical wrong answer and how ``derive check`` refutes it, already in words and math."""
    answer: str                     # inline text: the answer as the checker parsed it, in math
    typed: str                      # the answer as a student types it (shown as code)
    why: str                        # inline text: the slip
    verdict: str                    # inline text: the checker's status and counterexample
    outcome: str                    # "refuted" when the checker says incorrect, else "failed"


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
    results: tuple[str, ...]        # display LaTeX: the result, then every further asked quantity
    expects: str                    # inline text: what `derive check` expects, or ""
    slips: tuple[SlipView, ...]
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


def _sizes_sentence(sizes: Sequence[SizeEntry]) -> str:
    """({"C": 2}, {"C": 3}) -> "at $C = 2, 3$"; several dimensions keep one tuple per size."""
    if not sizes or list(sizes) == [{}]:
        return ""
    if not all(isinstance(s, Mapping) and s and not any(isinstance(v, (tuple, list)) for v in s.values())
               for s in sizes):   # a check's own size words ("symbolic"), or sizes drawn from choices
        return "at " + ", ".join(map(size_label, sizes))
    names = [list(s) for s in sizes]
    if all(n == names[0] for n in names) and len(names[0]) == 1:
        return f"at ${dim_tex(names[0][0])} = {', '.join(str(s[names[0][0]]) for s in sizes)}$"
    if all(n == names[0] for n in names):
        values = [sorted({int(s[n]) for s in sizes}) for n in names[0]]
        distinct = {tuple(s.items()) for s in sizes}
        if len(sizes) == len(distinct) == _product(len(v) for v in values):
            grid = ", ".join(f"{dim_tex(n)} \\in \\{{{', '.join(map(str, v))}\\}}" for n, v in zip(names[0], values))
            return f"at all {len(sizes)} sizes with ${grid}$"
    return "at " + "; ".join("$" + ", ".join(f"{dim_tex(n)} = {v}" for n, v in s.items()) + "$" for s in sizes)


def _joined(what: str, where: str, how: str) -> str:
    return f"{what}{' ' + where if where else ''}: {how}."


def _counterexample_lines(counter: Mapping | None) -> tuple[str, ...]:
    if not counter:
        return ()
    def shown(value):   # a mapping of values reads "x = (0, 1), g = (1, 0)", not as a dict
        if isinstance(value, Mapping):
            return ", ".join(f"{k} = {shown(v)}" for k, v in value.items())
        if isinstance(value, (list, tuple)):
            return "(" + ", ".join(str(shown(v)) for v in value) + ")"
        if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
            return int(value)     # an integer drawn as a float reads as one: (0, 1), not (0.0, 1.0)
        return value
    return tuple(f"{key}: {shown(value)}" for key, value in counter.items() if value not in ({}, [], None, ""))


def dim_tex(name) -> str:
    """A size's name in math, as the printer writes the same symbol in formulas (H_{in}, not H_in)."""
    return latex(sp.Symbol(str(name)), {})


def _variable_note(var: Variable, general) -> str:
    name = var.latex or latex(general.objects[var.name])
    if not var.shape:
        kind = "scalar"
    elif len(var.shape) == 1:
        kind = f"vector of size ${dim_tex(var.shape[0])}$"
    elif len(var.shape) == 2:
        kind = f"${dim_tex(var.shape[0])} \\times {dim_tex(var.shape[1])}$ matrix"
    else:
        kind = "tensor of shape $(" + ", ".join(dim_tex(d) for d in var.shape) + ")$"
    text = f"${name}$: {kind}, {domain_text(var.domain, name)}"
    if var.definition is not None:
        definition = latex(var.definition(general), names_of(general.variables.values()))
        text += f"; ${name} = {definition}$"
    return text


def equation(lhs: str, value, names: Mapping[str, str]) -> str:
    r"""Display LaTeX ``lhs = value``; a set written in set-builder form equals an interval
    (``\{\epsilon : ...\} = (0, 2/\lambda_{\max})``), never an inequality."""
    if lhs.lstrip().startswith(r"\{"):
        as_set = interval(value, dict(names))
        if as_set is not None:
            return f"{lhs} = {as_set}"
    return f"{lhs} = {latex(value, dict(names))}"


def _index_symbols(indices: str) -> list[sp.Symbol]:
    return [sp.Symbol(c, integer=True) for c in indices]


def _steps(part: Part, claims: Sequence[Claim]) -> tuple[StepView, ...]:
    names = names_of(part.variables)
    views, previous, defined = [], None, set()
    for step, claim in zip(part.steps, claims):
        # Consecutive steps about the same quantity read as one chain of equalities.
        lhs = rf"\phantom{{{step.lhs}}}" if step.lhs == previous else step.lhs
        previous = step.lhs
        detail = "" if claim.outcome == PROVED else claim.detail
        shown = equation(step.lhs, rhs := step.rhs(part.general, *_index_symbols(step.indices)), names)
        views.append(StepView(lhs + shown[len(step.lhs):], explained(step.why, rhs, names, defined), claim.outcome, detail))
    return tuple(views)


def _instance(part: Part, instance: Instance | None) -> tuple[str | None, str]:
    """The instance the pipeline computed, with its label; none when it is too long to help."""
    if instance is None or len(instance.equation) - len(part.result_lhs) > INSTANCE_MAX_CHARS:
        return None, ""
    sizes = instance.sizes
    where = f" at ${', '.join(f'{dim_tex(k)} = {v}' for k, v in sizes.items())}$" if sizes else ""
    return instance.equation, f"What SymPy computes from the forward definition{where}:"


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


def _size_choices(sizes: Sequence[SizeEntry]) -> str:
    """({"t": (1, 2, 3)},) -> "$t \\in \\{1, 2, 3\\}$": the sizes the cases were drawn from."""
    out = []
    for entry in sizes:
        if isinstance(entry, Mapping) and entry and all(isinstance(v, tuple) for v in entry.values()):
            out += [rf"${dim_tex(name)} \in \{{{', '.join(map(str, values))}\}}$" for name, values in entry.items()]
        else:
            out.append(size_label(entry))
    return "; ".join(out)


def _numeric_check(claim: Claim, cases_label: str) -> Check:
    lines = [f"Method: {claim.method}.",
             f"{claim.cases} {cases_label}{' (' + _size_choices(claim.sizes) + ')' if claim.sizes else ''}.",
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
        if claim.kind == "worked":
            counted = f"{claim.cases} quantit{'ies' if claim.cases != 1 else 'y'} compared"
        elif claim.kind == "optimum":   # a point, a grid or a set of starts: not random draws
            counted = f"{claim.cases} case{'s' if claim.cases != 1 else ''}"
        else:
            counted = f"{claim.cases} random case{'s' if claim.cases != 1 else ''}"
        lines.append(f"{counted}; worst error "
                     f"{scientific(claim.worst_error)} against a tolerance of {scientific(claim.tolerance)}"
                     f"{': ' + claim.detail if claim.detail else ''}.")
    elif claim.detail and claim.outcome not in (PROVED, PASSED):
        lines.append(f"{claim.detail}.")
    if claim.counterexample:
        # A claim that something is false holds by its witness; anything else failed at it.
        lines.append("Witness:" if claim.outcome in (PROVED, PASSED) else "Failing case:")
    heading = f"{claim.kind.capitalize()}: {claim.statement}"
    return Check(heading, claim.outcome, tuple(lines), _counterexample_lines(claim.counterexample))


def _results_check(claims: Sequence[Claim]) -> Check | None:
    """The further boxed quantities, each proved against its own derivation."""
    if not claims:
        return None
    check = _steps_check(claims)
    lines = tuple(line.replace("steps", "further results").replace("The step", "The further result")
                  .replace("Step ", "Result ") for line in check.lines)
    return Check("Further results", check.outcome, lines)


def _checks(report: PartReport) -> tuple[Check, ...]:
    closed = [c for c in report.claims if c.kind == "closed form"]
    steps = [c for c in report.claims if c.kind == "step"]
    checks = [_closed_form_check(c) for c in closed]
    for extra in (_steps_check(steps), _results_check([c for c in report.claims if c.kind == "result"])):
        if extra:
            checks.append(extra)
    numeric = report.numeric()
    if numeric is not None:
        # A worked example has no variables to draw: its one case is the catalogue's numbers.
        fixed = getattr(report.part.oracle, "cases", 0) == 1   # one case (a grid, a point): none drawn
        kind = ("case" if fixed else "random case") if report.part.variables else "case, the worked numbers"
        cases = kind if numeric.cases == 1 else kind.replace("case", "cases", 1)
        checks.append(_numeric_check(numeric, cases))
    known = {"closed form", "step", "result", "numeric"}
    checks += [_other_check(c) for c in report.claims if c.kind not in known]
    return tuple(checks)


_STEM = re.compile(r"[^a-z0-9]+")


def figure_stem(part: Part, name: str) -> str:
    """A file name safe for every output (LaTeX dislikes dots and underscores)."""
    stem = _STEM.sub("-", f"{part.family}-{name}".lower()).strip("-")
    if not stem:
        raise ProblemDefinitionError(f"{part.id}: figure name {name!r} has no letters or digits")
    return stem


def _number_tex(x) -> str:
    """A checker's number as LaTeX: 0.507425, or 3.72 \times 10^{-26} (never 3.72e-26)."""
    if isinstance(x, bool):
        return r"\text{true}" if x else r"\text{false}"
    if isinstance(x, float) and x == 0:
        return "0"    # 0.0 beside 1 in y = (0, 1) would read as a different kind of number
    if not isinstance(x, (int, float)) or isinstance(x, int) or math.isnan(x):
        return str(x)
    if math.isinf(x):
        return r"\infty" if x > 0 else r"-\infty"
    if 1e-4 <= abs(x) < 1e6:
        return f"{x:.6g}"
    mantissa, _, exponent = f"{x:.3g}".partition("e")
    return f"{mantissa} \\times 10^{{{int(exponent)}}}"


def _value_tex(value) -> str:
    """Vectors as tuples, matrices as small matrices, numbers as LaTeX."""
    if isinstance(value, (list, tuple)) and value and all(isinstance(r, (list, tuple)) for r in value):
        rows = r" \\ ".join(" & ".join(_number_tex(x) for x in row) for row in value)
        return rf"\left(\begin{{smallmatrix}} {rows} \end{{smallmatrix}}\right)"
    if isinstance(value, (list, tuple)):
        return r"\left(" + ", ".join(_value_tex(v) for v in value) + r"\right)"
    return _number_tex(value)


def _name_tex(name: str, names: Mapping[str, str]) -> str:
    return names.get(name) or latex(sp.Symbol(name))


_DIMENSIONS = re.compile(r"\b(\d+)((?:x\d+)+)\b")


def _worked_text(text: str) -> str:
    """A label of a worked table: '4x4' and '256x256x3' as math products."""
    return _DIMENSIONS.sub(lambda m: "$" + r" \times ".join(m.group(0).split("x")) + "$", text)


def _worked_cell(value) -> str:
    """One worked number as inline math: 44{,}272; 1/73 as a fraction with its decimal."""
    if value is None or value == "-":
        return ""
    if isinstance(value, str):
        return _worked_text(value)
    if isinstance(value, Fraction):
        return rf"$\frac{{{value.numerator}}}{{{value.denominator}}} \approx {float(value):.6g}$"
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer() and abs(value) < 1e15):
        return "$" + f"{int(value):,}".replace(",", r"\,") + "$"
    return f"${_number_tex(float(value))}$"


def _table(demo: Worked) -> Table:
    """A demonstration's numbers as a sheet table: a worked table keeps its columns (one row per
    layer), any other is (label, value) pairs."""
    if demo.columns:
        rows = tuple((_worked_text(row[0]), *(_worked_cell(v) for v in row[1:])) for row in demo.rows)
        return Table(demo.caption, rows, demo.columns)
    return Table(demo.caption, tuple((a, computed_value(b)) for a, b in demo.rows))


def slip_view(part: Part, verdict: Mapping) -> SlipView:
    """One declared slip with the checker's verdict (plain data computed by the CLI)."""
    names = names_of(part.variables)
    counter = verdict.get("counterexample") or {}
    point = {**counter.get("sizes", {}), **counter.get("values", {})}
    # One math span per value, so a long counterexample can break between them.
    where = ", ".join(f"${_name_tex(k, names)} = {_value_tex(v)}$" for k, v in point.items())
    status = verdict["status"]
    if status == "incorrect" and "answer" in counter:
        said = (f"`derive check` says incorrect: at {where} " if where else "`derive check` says incorrect: ")
        answer, expected = counter["answer"], counter.get("expected")
        if isinstance(answer, bool) and isinstance(expected, bool):   # two conditions, compared as sets
            said += f"the answer's condition {'holds' if answer else 'fails'}, the result's {'holds' if expected else 'fails'}."
        elif expected is not None:
            said += f"it gives ${_value_tex(answer)}$ where the result is ${_value_tex(expected)}$."
        else:
            said += f"it gives ${_value_tex(answer)}$."
    elif status == "incorrect":
        said = "`derive check` says incorrect."
    else:
        said = f"`derive check` says {status}: this declared slip is not refuted."
    said = said.replace("`derive check`", "``derive check``")
    answer = f"${verdict['parsed']}$" if verdict.get("parsed") else f"``{verdict['answer']}``"
    return SlipView(answer, verdict["answer"], verdict["why"], said,
                    "refuted" if status == "incorrect" else "failed")


def part_sheet(record: PartRecord) -> PartSheet:
    """The sheet of one part, from its declaration and its finished record (the verification
    report, the checker's verdicts on its declared slips, the instance SymPy computed)."""
    part, report = record.part, record.report
    names = names_of(part.variables)
    steps = [c for c in report.claims if c.kind == "step"]
    instance, instance_label = _instance(part, record.instance)
    result = equation(part.result_lhs, part.result(part.general), names)
    step_views = _steps(part, steps)
    further = tuple(equation(s.lhs, s.rhs(part.general, *_index_symbols(s.indices)), names) for s in part.also)
    if instance is not None:   # nothing to add when SymPy's own output is already on the sheet
        computed = instance[len(part.result_lhs) + 3:]
        if any(eq.endswith(f" = {computed}") for eq in (result, *further, *(v.equation for v in step_views))):
            instance, instance_label = None, ""
    return PartSheet(
        id=part.id, anchor=part.id, label=_STEM.sub("-", part.id.lower()), title=part.title, statement=part.statement,
        notation=tuple(_variable_note(v, part.general) for v in part.variables),
        steps=step_views,
        result=result, results=(result,) + further,
        expects=part.expects or (f"${part.result_lhs}$" if part.answer else ""), slips=tuple(slip_view(part, v) for v in record.slips),
        instance=instance, instance_label=instance_label,
        outcome=report.outcome, outcome_label=OUTCOME_LABELS[report.outcome],
        checks=_checks(report),
        demonstrations=tuple(_table(d) for d in record.worked),
        figures=tuple(FigureView(figure_stem(part, f.name), f.caption, f.draw) for f in part.figures),
    )


def family_sheet(family: Family, records: Mapping[str, PartRecord],
                 on_part: Callable[[int, Part], None] | None = None) -> FamilySheet:
    """``on_part(n, part)`` hears each part as its sheet begins."""
    missing = [p.id for p in family.parts if p.id not in records]
    if missing:
        raise InvalidArgument(f"no finished record for parts {missing} of family {family.name!r}; "
                              "make them first (derive.pipeline.finish)")
    wrong = [f"{p.id} (given the record of {records[p.id].part.id})" for p in family.parts
             if records[p.id].part.id != p.id]
    if wrong:
        raise InvalidArgument(f"records given for the wrong parts: {', '.join(wrong)}")
    heard = on_part or (lambda n, part: None)   # ``or``: it returns None, then the sheet is made
    parts = tuple(heard(n, p) or part_sheet(records[p.id]) for n, p in enumerate(family.parts, 1))
    stems = [f.stem for p in parts for f in p.figures]
    clash = sorted({s for s in stems if stems.count(s) > 1})
    if clash:
        raise ProblemDefinitionError(f"family {family.name!r}: two figures share the file name {clash}; "
                                     "give each figure of a family its own name")
    return FamilySheet(family.name, family.title, for_readers(family.intro), parts)
