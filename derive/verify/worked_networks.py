"""The course's two worked sigmoid networks at their numbers: the forward passes the engine
steps through (:func:`derive.maths.worked_example.sgd_run`), the sheets' tables of those steps,
the proved closed-form step iterated at the same numbers, and the float64 references
(hand-written backprop, central differences, JAX) the agreement check compares them with.

The numbers themselves (start, samples, rate) are the catalogue's and stay in
problems/backprop.py; every function here takes them as arguments.
"""
from __future__ import annotations

import numpy as np
import sympy as sp

from ..maths.worked_example import at_numbers, rounded
from .networks import (finite_difference_gradients, jax_gradients, mlp_backward, mlp_loss, neuron_backward,
                       neuron_loss, sgd_trajectory)
from .numeric import central_gradient

__all__ = ["ENTRIES", "as_matrix_of", "closed_form_run", "flat", "label", "layer_table", "logistic",
           "mlp_forward", "mlp_reference", "neuron_forward", "neuron_reference", "np_mlp_error", "np_neuron_step",
           "np_regularised_loss", "parameter_row", "sgd_table", "step_numbers", "steps_numbers"]


def logistic(u):
    """sigma written out, so SymPy evaluates it at numbers to any precision."""
    return 1 / (1 + sp.exp(-u))


# ---------------------------------------------------------------- one neuron, four steps
def np_regularised_loss(d, **moved):
    """L_reg of the neuron in NumPy at the sampled values ``d`` (some of them ``moved``)."""
    d = {**d, **moved}
    return neuron_loss({"w": d["w"], "b": d["b"]}, d["x"], d["t"], d["lambda"])


def np_neuron_step(d):
    """(w, b) - eta grad L_reg with the gradient by central differences of the NumPy L_reg."""
    return np.array([d["w"], d["b"]]) - d["eta"] * central_gradient(
        lambda u: np_regularised_loss(d, w=u[0], b=u[1]), np.array([d["w"], d["b"]]))


def neuron_forward(p, d):
    z = p["w"] * d["x"] + p["b"]
    out = logistic(z)
    return [("z", z), ("y", out), ("L", (out - d["t"]) ** 2 / 2 + d["lambda"] * p["w"] ** 2 / 2)]


def steps_numbers(steps):
    """The engine's steps as floats named L_k, dw_k, db_k, w_k, b_k (k from 1)."""
    out = {}
    for k, step in enumerate(steps, 1):
        out.update({f"L_{k}": step.loss, f"dw_{k}": step.gradients["w"], f"db_{k}": step.gradients["b"],
                    f"w_{k}": step.updated["w"], f"b_{k}": step.updated["b"]})
    return {k: float(v) for k, v in out.items()}


def _neuron_by_differences(p, s):
    loss = lambda q: neuron_loss(q, s["x"], s["t"], s["lambda"])
    return loss(p), finite_difference_gradients(loss, p)


def _neuron_by_jax(p, s):
    return neuron_loss(p, s["x"], s["t"], s["lambda"]), jax_gradients(
        lambda q, jnp: neuron_loss(q, s["x"], s["t"], s["lambda"], xp=jnp), p)


NEURON_GRADIENTS = {"numpy": lambda p, s: neuron_backward(p, s["x"], s["t"], s["lambda"]),
                    "differences": _neuron_by_differences, "jax": _neuron_by_jax}


def neuron_reference(start, samples, rate, how):
    """The same steps in float64, named as :func:`steps_numbers` names them, with gradients
    by ``how``: "numpy" (backprop by hand), "differences" or "jax"."""
    start = {k: float(v) for k, v in start.items()}
    out = {}
    for k, step in enumerate(sgd_trajectory(NEURON_GRADIENTS[how], start, samples, float(rate)), 1):
        out.update({f"L_{k}": step["loss"], f"dw_{k}": step["gradients"]["w"], f"db_{k}": step["gradients"]["b"],
                    f"w_{k}": step["updated"]["w"], f"b_{k}": step["updated"]["b"]})
    return out


def sgd_table(steps):
    """One column per step k: its sample, w and b before, forward values, loss, gradients, the
    updated w_k and b_k, and the loss after the step."""
    row = lambda label, of: (label, *[of(s_) for s_ in steps])
    return [row("sample $(x, t)$", lambda s_: f"({s_.data['x']}, {s_.data['t']})"),
            row("$w$ before", lambda s_: s_.parameters["w"]), row("$b$ before", lambda s_: s_.parameters["b"]),
            *[row(f"${name}$", lambda s_, name=name: s_.forward[name]) for name in steps[0].forward],
            row(r"$\partial L / \partial w$", lambda s_: s_.gradients["w"]),
            row(r"$\partial L / \partial b$", lambda s_: s_.gradients["b"]),
            row("$w_k$ after", lambda s_: s_.updated["w"]), row("$b_k$ after", lambda s_: s_.updated["b"]),
            row(r"$L$ after the step", lambda s_: s_.loss_after)]


def closed_form_run(part, start, samples, rate, rate_name="eta"):
    """The parameters after each sample, by iterating the step the part proves for all numbers
    (its closed form, a column in the order of ``start``) at exact numbers."""
    ns = part.namespace({})
    current, out = dict(start), []
    for sample in samples:
        new = at_numbers(part.result(ns), ns, {**current, **sample, rate_name: rate})
        current = dict(zip(start, new))
        out.append(tuple(new))
    return out


def parameter_row(which, steps):
    """The row (p_1, p_2, ...) of entry ``which`` of each step's parameters, 6 significant digits."""
    return rounded(sp.Matrix([[s_[which] for s_ in steps]]))


# ---------------------------------------------------------------- two layers, one step
def flat(named):
    """{"W1": [[a, b], ...]} as {"W1_11": a, "W1_12": b, ...} (entries numbered from 1)."""
    return {f"{k}_{r + 1}{c + 1}": x_ for k, rows in named.items() for r, row in enumerate(rows)
            for c, x_ in enumerate(row)}


def as_matrix_of(flat_values, name, shape):
    """Entries named like flat(): W1_11, W1_12, ... back into a matrix of that shape."""
    return sp.Matrix(*shape, lambda r, c: flat_values[f"{name}_{r + 1}{c + 1}"])


def mlp_forward(p, d):
    """Row vectors, 2 -> 2 -> 2: z1 = i W1 + b1, a1 = sigma(z1), z2 = a1 W2 + b2, o = sigma(z2),
    E = 1/2 sum (o - t)^2, on flat() entries."""
    z1 = as_matrix_of(d, "i", (1, 2)) * as_matrix_of(p, "W1", (2, 2)) + as_matrix_of(p, "b1", (1, 2))
    h = z1.applyfunc(logistic)
    z2 = h * as_matrix_of(p, "W2", (2, 2)) + as_matrix_of(p, "b2", (1, 2))
    out = z2.applyfunc(logistic)
    error = sum((out - as_matrix_of(d, "t", (1, 2))).applyfunc(lambda e: e ** 2)) / 2
    named = [(f"{n}_1{c + 1}", m[0, c]) for n, m in (("z1", z1), ("a1", h), ("z2", z2), ("o", out)) for c in range(2)]
    return named + [("E", error)]


def np_mlp_error(d):
    """E of the two-layer network in NumPy at the sampled values."""
    return mlp_loss({"W1": d["W1"], "b1": d["b1"], "W2": d["W2"], "b2": d["b2"]}, d["i"], d["t"])


def label(name, prefix=""):
    """W1 -> $W_1$, o -> $o$: a layer's quantity as the sheet prints it."""
    base = name.rstrip("0123456789")
    layer = name[len(base):]
    return f"${prefix}{base}_{layer}$" if layer else f"${prefix}{base}$"


def step_numbers(step):
    """One engine step as floats: E, E after, d<entry> and new <entry> for every parameter entry."""
    out = {"E": step.loss, "E after": step.loss_after}
    out.update({f"d{n}": g for n, g in step.gradients.items()})
    out.update({f"new {n}": u for n, u in step.updated.items()})
    return {k: float(v) for k, v in out.items()}


def mlp_reference(start, data, rate, how):
    """The same step in float64, named as :func:`step_numbers` names it, with gradients by ``how``."""
    start = {k: np.array(v, dtype=float) for k, v in start.items()}
    i_, t_ = (np.array(data[k], dtype=float) for k in ("i", "t"))
    loss = lambda q, xp=np: mlp_loss(q, i_, t_, xp)
    gradients = {"numpy": lambda p, s: mlp_backward(p, i_, t_),
                 "differences": lambda p, s: (loss(p), finite_difference_gradients(loss, p)),
                 "jax": lambda p, s: (loss(p), jax_gradients(loss, p))}[how]
    (step,) = sgd_trajectory(gradients, start, [None], float(rate))
    out = {"E": step["loss"], "E after": loss(step["updated"])}
    for n, g in step["gradients"].items():
        out.update({f"d{k}": x_ for k, x_ in flat({n: np.asarray(g).tolist()}).items()})
    for n, u in step["updated"].items():
        out.update({f"new {k}": x_ for k, x_ in flat({n: u.tolist()}).items()})
    return out


# Each quantity is a 1 x 2 row or a 2 x 2 matrix: a column per entry (row, column), so no header
# stands over an empty column (the forward pass has rows only).
ENTRIES = {"forward": ("quantity", "entry $(1, 1)$", "entry $(1, 2)$"),
           "gradients": ("quantity", "entry $(1, 1)$", "entry $(1, 2)$", "entry $(2, 1)$", "entry $(2, 2)$")}
ENTRIES["updated"] = ENTRIES["gradients"]


def layer_table(step, kind):
    """Rows (quantity, entries...) of the forward pass, the gradients or the updated parameters."""
    values = {"forward": step.forward, "gradients": step.gradients, "updated": step.updated}[kind]
    rows: dict[str, list] = {}
    for name, value in values.items():
        rows.setdefault(name.rsplit("_", 1)[0] if "_" in name else name, []).append(value)
    prefix = r"\partial E / \partial " if kind == "gradients" else ""
    out = [(label(n, prefix), *vals) for n, vals in rows.items()]
    if kind == "updated":
        out.append(("$E$ after the step", step.loss_after))
    return out
