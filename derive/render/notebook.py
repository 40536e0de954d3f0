"""Parts, reports and verdicts in notebooks: the HTML (MathML, inline SVG figures) and LaTeX that
Jupyter shows for ``Part``, ``PartReport``, ``PartRecord`` and ``Verdict`` through their
``_repr_html_`` and ``_repr_latex_``. A part is shown as its sheet shows it, from the same
template and the same finished record (made once by :mod:`derive.pipeline`).

>>> from derive import get_part                                   # doctest: +SKIP
>>> from derive.pipeline import finish                            # doctest: +SKIP
>>> html = record_html(finish(get_part("softmax.ce_grad")))       # doctest: +SKIP
"""
from __future__ import annotations

import json
from typing import Any

from markupsafe import Markup

from ..model.claim import PartRecord
from ..model.part import Part
from . import figures as figure_files
from .printing import latex, names_of
from .sheets import part_sheet
from .writer import _tone, environment


def record_html(record: PartRecord) -> str:
    """A verified part as its sheet shows it: statement, derivation, results, checks, figures."""
    sheet = part_sheet(record)
    svgs = {}
    for fig in sheet.figures:
        svg, _pdf = figure_files.draw(fig.draw, fig.stem)
        svgs[fig.stem] = Markup(figure_files.inline_svg(svg, fig.caption))
    return environment("html").get_template("notebook.html.j2").render(part=sheet, svgs=svgs, verdict=None)


def part_latex(part: Part) -> str:
    """The part's result as one display equation (what ``_repr_latex_`` gives)."""
    value = latex(part.result(part.general), names_of(part.variables))
    return f"$$ {part.result_lhs} = {value} $$"


def _shown(value) -> str:
    return value if isinstance(value, str) else json.dumps(value, default=str)


def _rows(counterexample: dict | None) -> list[tuple[str, str]]:
    """A counterexample as (name in math, value) rows: sizes, values, then both sides."""
    if not counterexample:
        return []
    rows = [(f"${k}$", str(v)) for k, v in counterexample.get("sizes", {}).items()]
    rows += [(f"${k}$", _shown(v)) for k, v in counterexample.get("values", {}).items()]
    rows += [(label, _shown(counterexample[key]))
             for key, label in (("answer", "your answer"), ("expected", "expected"), ("difference", "difference"))
             if key in counterexample]
    return rows


def verdict_html(verdict: Any) -> str:
    """A verdict (from ``derive.check``): status badge, message, diagnosis, evidence, the answer
    as understood in MathML, and the counterexample as a table."""
    tone = {"correct": "passed", "incorrect": "refuted", "invalid": "failed"}.get(verdict.status, "tested")
    view = {"status": verdict.status, "tone": _tone(tone), "part": verdict.part, "message": verdict.message,
            "parsed": verdict.parsed, "diagnosis": verdict.diagnosis and str(verdict.diagnosis),
            "evidence": getattr(verdict, "evidence", None), "rows": _rows(verdict.counterexample)}
    return environment("html").get_template("notebook.html.j2").render(part=None, svgs={}, verdict=view)
