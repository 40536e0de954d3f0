"""Diagrams for the sheets, drawn on the Matplotlib axes the renderer passes in: a computation graph
with the local derivative on every edge."""
from __future__ import annotations

from typing import Mapping, Sequence

__all__ = ["draw_computation_graph"]

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

