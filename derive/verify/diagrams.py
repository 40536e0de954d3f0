"""Diagrams for the sheets, drawn on the Matplotlib axes the renderer passes in: a computation graph
with the local derivative on every edge, and a matrix as a grid of its entries."""
from __future__ import annotations

from typing import Mapping, Sequence

__all__ = ["draw_computation_graph", "draw_matrix"]

NODE_FILL, SIDE_FILL, LINE, LABEL = "#eef3fb", "#f5f5f5", "#3b5b92", "#7a2e2e"


def draw_computation_graph(ax, nodes: Mapping[str, tuple[float, float, str]],
                           edges: Sequence[tuple[str, str, str]], *, size: tuple[float, float],
                           xlim: tuple[float, float], ylim: tuple[float, float], label_points: float = 11,
                           side: Sequence[str] = ()) -> None:
    """Draw ``nodes`` (name -> (x, y, label)) and ``edges`` (from, to, label) on ``ax``.

    Nodes named in ``side`` (parameters feeding in from the side) are filled grey. Each edge
    label sits on a white patch at the edge's middle, so a crossing line never hides it."""
    ax.figure.set_size_inches(*size)
    for name, (px, py, label) in nodes.items():
        ax.text(px, py, label, ha="center", va="center", fontsize=14, zorder=3,
                bbox={"boxstyle": "round,pad=0.35", "fc": SIDE_FILL if name in side else NODE_FILL, "ec": LINE})
    for a, b, label in edges:
        (xa, ya, _), (xb, yb, _) = nodes[a], nodes[b]
        ax.annotate("", xy=(xb, yb), xytext=(xa, ya), zorder=1,
                    arrowprops={"arrowstyle": "-|>", "color": LINE, "shrinkA": 16, "shrinkB": 16})
        if label:
            ax.text((xa + xb) / 2, (ya + yb) / 2, label, ha="center", va="center", fontsize=label_points,
                    color=LABEL, zorder=2, bbox={"boxstyle": "square,pad=0.1", "fc": "white", "ec": "none"})
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.axis("off")


def draw_matrix(ax, matrix, title: str) -> None:
    """A SymPy matrix as a grid of cells: zeros blank, every other entry printed in its cell."""
    import sympy as sp
    from matplotlib.patches import Rectangle
    rows, cols = matrix.shape
    for r in range(rows):
        for q in range(cols):
            entry = matrix[r, q]
            ax.add_patch(Rectangle((q, rows - 1 - r), 1, 1, fill=entry != 0, facecolor="#dbe8f6", edgecolor="#555"))
            if entry != 0:
                ax.text(q + 0.5, rows - 0.5 - r, f"${sp.latex(entry)}$", ha="center", va="center", fontsize=11)
    ax.set_xlim(0, cols)
    ax.set_ylim(0, rows)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(title)
