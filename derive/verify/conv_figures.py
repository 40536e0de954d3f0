"""Figures of the conv sheets, drawn on the Matplotlib axes the renderer passes in: a conv's
matrix as a grid of its entries, where a window and a gradient reach on the input grid, the
receptive field as it grows through a stack, the squeeze-and-excitation cost ratio against the
map side, and two networks' mults per stage. Derived numbers come from derive.maths; the
measured ones from the instrumented NumPy pass."""
from __future__ import annotations

import numpy as np
import sympy as sp

from ..maths.convolution import footprint, gradient_footprint
from ..maths.networks import Shape, analyse, receptive_fields, se_over_separable
from .instrumented import measured_se_over_separable, receptive_field_support

__all__ = ["draw_footprint", "draw_matrix", "draw_receptive_field", "draw_se_ratio", "draw_stage_mults"]


def draw_footprint(ax, size=(7, 7), kernel_size=(3, 3), stride=2, padding=0, out_pixel=(1, 2), in_pixel=(2, 2)):
    """Input grid: the window output pixel ``out_pixel`` sees (red), and the output windows
    input pixel ``in_pixel`` lies in (dashed): the G entries its gradient gathers."""
    from matplotlib.patches import Rectangle
    seen = set(footprint(out_pixel, kernel_size, stride, padding))
    feeds = gradient_footprint(in_pixel, size, kernel_size, stride, padding)
    fed_windows = {p for o in feeds for p in footprint(o, kernel_size, stride, padding)}
    for h in range(size[0]):
        for w in range(size[1]):
            colour = "#f6c6c6" if (h, w) in seen else ("#e6eef8" if (h, w) in fed_windows else "white")
            ax.add_patch(Rectangle((w, size[0] - 1 - h), 1, 1, facecolor=colour, edgecolor="#777"))
    h, w = in_pixel
    ax.add_patch(Rectangle((w, size[0] - 1 - h), 1, 1, fill=False, edgecolor="#1f4e9c", linewidth=3))
    for i, j in feeds:
        top, left = stride * i - padding, stride * j - padding
        ax.add_patch(Rectangle((left + 0.08, size[0] - top - kernel_size[0] + 0.08), kernel_size[1] - 0.16,
                               kernel_size[0] - 0.16, fill=False, edgecolor="#1f4e9c", linestyle="--"))
    ax.set_xlim(0, size[1])
    ax.set_ylim(0, size[0])
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(f"red: the window of O{out_pixel}; blue: X{in_pixel} and the {len(feeds)} windows it lies in",
                 fontsize=9)


def draw_receptive_field(ax, stack) -> None:
    """The derived field side after each layer of ``stack``, against the measured gradient support."""
    grown = [int(r) for r in receptive_fields(stack)]
    ax.plot(range(1, len(grown) + 1), grown, "o-", label="derived: $r$ after each layer")
    ax.plot(range(1, len(grown) + 1), [receptive_field_support(stack[:n]) for n in range(1, len(grown) + 1)], "x",
            markersize=10, label="gradient support through the stack")
    ax.set_xticks(range(1, len(grown) + 1), [layer.name for layer in stack], fontsize=8)
    ax.set_yticks(grown)
    ax.set_ylabel("receptive-field side (pixels)")
    ax.legend(fontsize=8)


def draw_se_ratio(ax, channels: int, reduction: int, measured_sides, limit) -> None:
    """SE block mults over depthwise separable conv mults against the map side: derived on a
    log grid of sides, measured at ``measured_sides``, and the derived ``limit``."""
    sides = np.unique(np.geomspace(1, 512, 60).astype(int))
    ax.plot(sides, [float(se_over_separable(channels, reduction, int(s))) for s in sides],
            label="SE / separable conv, derived")
    ax.plot(measured_sides, [measured_se_over_separable(channels, reduction, s) for s in measured_sides], "x",
            markersize=9, label="instrumented NumPy")
    ax.axhline(float(limit), linestyle="--", color="gray", label=f"limit ${limit}$")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("$H = W$")
    ax.set_ylabel("mults ratio")
    ax.legend(fontsize=8)


def draw_stage_mults(ax, separable, standard, shape: Shape) -> None:
    """Mults per stage: a depthwise-then-pointwise network against a standard one (log scale)."""
    a, b = analyse(separable, shape), analyse(standard, shape)
    stages = np.arange(1, 4)
    ax.bar(stages - 0.27, [int(c.mults) for c in a[0::2]], 0.27, label=r"A: depthwise $4 \times 4$")
    ax.bar(stages, [int(c.mults) for c in a[1::2]], 0.27, label=r"A: pointwise $1 \times 1$")
    ax.bar(stages + 0.27, [int(c.mults) for c in b], 0.27, label=r"B: standard $4 \times 4$")
    ax.set_yscale("log")
    ax.set_xticks(stages, [f"stage {s}" for s in stages])
    ax.set_ylabel("mults (multiply-accumulates)")
    ax.legend(fontsize=8)


def draw_matrix(ax, matrix, title: str) -> None:
    """A SymPy matrix as a grid of cells: zeros blank, every other entry printed in its cell."""
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
