"""Tables of worked quantities: a :class:`~derive.model.part.Demonstration` whose rows are
also data (a label and numbers under named columns).

A sheet shows the rows as text through the existing demonstration layout; ``derive show
--json`` gives the numbers themselves (:meth:`WorkedTable.data`).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np
import sympy as sp

from ..errors import ProblemDefinitionError
from ..model.part import Demonstration

__all__ = ["WorkedTable", "number_text", "plain_number", "worked_table"]


def plain_number(x) -> Any:
    """A SymPy or NumPy number as a Python int or float (JSON-friendly); text stays text."""
    if isinstance(x, (bool, str)) or x is None:
        return x
    if isinstance(x, sp.Basic):
        if x.is_Integer:
            return int(x)
        return float(x) if x.is_number else str(x)
    if isinstance(x, (int, np.integer)):
        return int(x)
    return float(x)


def number_text(x) -> str:
    """1234567 -> '1,234,567'; an exact fraction keeps its form: 1/73 -> '1/73 = 0.0136986'."""
    if isinstance(x, sp.Rational) and not x.is_Integer:
        return f"{x} = {float(x):.6g}"
    value = plain_number(x)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.0f}" if value.is_integer() and abs(value) < 1e15 else f"{value:.6g}"
    return str(value)


@dataclass(frozen=True)
class WorkedTable(Demonstration):
    """Rows ``(label, value, value, ...)`` under ``columns`` (the first column names the
    labels). Build it with :func:`worked_table`; ``compute`` is derived from ``table``."""
    columns: tuple[str, ...] = ()
    table: Callable[[], Sequence[tuple]] | None = None

    def __post_init__(self):
        if self.table is None or len(self.columns) < 2:
            raise ProblemDefinitionError(f"worked table {self.caption!r} needs at least two columns "
                                         "and a table function")
        object.__setattr__(self, "compute", self._text_rows)

    def _text_rows(self) -> list[tuple[str, str]]:
        # A cell that does not apply to a row (None or "-", e.g. the shape of a total) is left out.
        return [(str(row[0]), ", ".join(f"{name} {number_text(v)}" for name, v in zip(self.columns[1:], row[1:])
                                        if v is not None and v != "-"))
                for row in self.table()]

    def data(self) -> dict:
        return {"caption": self.caption, "columns": list(self.columns),
                "rows": [[str(row[0]), *[plain_number(v) for v in row[1:]]] for row in self.table()]}


def worked_table(caption: str, columns: Sequence[str], table: Callable[[], Sequence[tuple]]) -> WorkedTable:
    return WorkedTable(caption, None, tuple(columns), table)
