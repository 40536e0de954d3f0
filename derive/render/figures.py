"""Figures for the sheets: a part's ``draw(ax)`` on a Matplotlib Agg figure, saved as SVG
(inlined in HTML) and PDF (included by LaTeX).

Figures are built from ``matplotlib.figure.Figure`` directly, never through pyplot, so no
global figure state or GUI backend is involved. Output is reproducible: no dates in the
metadata and SVG ids salted by the figure's name.
"""
from __future__ import annotations

import io
import re

import matplotlib

matplotlib.use("Agg")  # headless; must precede any backend import

from matplotlib import rc_context  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

STYLE = {
    "font.size": 10,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "svg.fonttype": "path",   # glyphs as paths: the SVG needs no fonts to display offline
}

_XML_PROLOGUE = re.compile(r"\A(?:<\?xml[^>]*\?>\s*|<!DOCTYPE[^>]*>\s*)+")


def draw(draw_on_axes, stem: str, width: float = 6.0, height: float = 3.4) -> tuple[str, bytes]:
    """Run ``draw_on_axes(ax)`` and return (SVG text for inlining, PDF bytes)."""
    with rc_context({**STYLE, "svg.hashsalt": stem}):
        fig = Figure(figsize=(width, height), layout="constrained")
        ax = fig.add_subplot()
        draw_on_axes(ax)
        svg, pdf = io.StringIO(), io.BytesIO()
        fig.savefig(svg, format="svg", metadata={"Date": None})
        fig.savefig(pdf, format="pdf", metadata={"CreationDate": None, "ModDate": None})
    return svg.getvalue(), pdf.getvalue()


def inline_svg(svg: str, title: str) -> str:
    """SVG text fit to sit inside an HTML page: no XML prologue, scales with the page."""
    body = _XML_PROLOGUE.sub("", svg.strip())
    body = re.sub(r'(<svg\b[^>]*?)\swidth="[^"]*"\s+height="[^"]*"', r"\1", body, count=1)
    return body.replace("<svg ", f'<svg role="img" aria-label="{_attr(title)}" ', 1)


def _attr(text: str) -> str:
    return (text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;"))
