"""Backprop's worked examples and NumPy oracles, beside the SymPy derivations of problems/backprop.py.

The course's two worked sigmoid networks at their numbers: the forward passes the engine steps
through (:func:`derive.maths.worked_example.sgd_run`), the sheets' tables of those steps, the
proved closed-form step at the same numbers, and the float64 references (hand-written backprop,
central differences, JAX) the agreement check compares them with. Then the centre loss's NumPy
oracles: central differences of :func:`derive.maths.center_loss.center_loss` over batches built here.

The numbers themselves (start, samples, rate) are the catalogue's and stay in
problems/backprop.py; every function here takes them as arguments.
"""
from __future__ import annotations

import numpy as np
import sympy as sp

from ..maths.center_loss import center_loss
from ..maths.worked_example import at_numbers, exact, rounded, sgd_run, sgd_step
from ..model.part import Step
from .agreement import gradient_agreement
from .networks import (finite_difference_gradients, jax_gradients, mlp_backward, mlp_loss, neuron_backward,
                       neuron_loss, sgd_trajectory)
from .numeric import central_gradient
from .tables import worked_table

__all__ = ["ENTRIES", "as_matrix_of", "closed_form_run", "closed_form_update", "flat", "label", "layer_tables",
           "layer_table", "logistic", "mlp_agreement", "mlp_forward", "mlp_reference", "mlp_step", "neuron_agreement",
           "neuron_forward", "neuron_reference", "neuron_steps", "neuron_table", "np_batch_around",
           "np_linear_gradient", "np_mlp_error", "np_neuron_step", "np_point_gradient", "np_regularised_loss",
           "np_updates", "parameter_row", "sgd_table", "step_numbers", "steps_numbers", "update_box"]


def logistic(u):
    """sigma written out, so SymPy evaluates it at numbers to any precision."""
    return 1 / (1 + sp.exp(-u))


# ---------------------------------------------------------------- one neuron, four steps
def np_regularised_loss(d, **moved):
    """L_reg of the neuron in NumPy at the sampled values ``d`` (some of them ``moved``)."""
    d = {**d, **moved}
    return neuron_loss({"w": d["w"], "b": d["b"]}, d["x"], d["t"], d["lambda"])


def np_regularised_cross_entropy(d, **moved):
    """L_reg of the neuron with the cross-entropy loss -(t log y + (1 - t) log(1 - y)), in NumPy
    (log1p and logaddexp forms, so a saturated y loses no digits)."""
    d = {**d, **moved}
    z = d["w"] * d["x"] + d["b"]
    # -log y = log(1 + e^{-z}), -log(1 - y) = log(1 + e^{z})
    return d["t"] * np.logaddexp(0.0, -z) + (1 - d["t"]) * np.logaddexp(0.0, z) + d["lambda"] * d["w"] ** 2 / 2


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


def neuron_steps(start, samples, rate):
    """One SGD step of the neuron per sample, computed by the engine (30 significant digits)."""
    return sgd_run(neuron_forward, start, samples, rate)


def neuron_table(caption, steps, count):
    """The sheet's table of the ``count`` steps ``steps()`` returns, one column per step."""
    return worked_table(caption, ("quantity", *[f"step {k}" for k in range(1, count + 1)]), lambda: sgd_table(steps()))


def neuron_agreement(steps, start, samples, rate, statement):
    """The engine's steps against the three float64 references, name by name."""
    return gradient_agreement(lambda: steps_numbers(steps()),
                              lambda how: neuron_reference(start, samples, rate, how), statement)


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


def mlp_step(start, data, rate):
    """The engine's one SGD step of the two-layer network at the numbers (nested lists by name)."""
    return sgd_step(mlp_forward, flat(start), flat(data), rate)


def _shape(rows):
    return len(rows), len(rows[0])


def closed_form_update(part, gradient, name, sizes, start, data, rate):
    """P - rate dE/dP at the numbers for the parameter P = name, with dE/dP = gradient(v) from
    formulas the part proves for all sizes: an independent route to the updated parameters the
    engine gets by differentiating E (the tables)."""
    ns = part.namespace(sizes)
    numbers = {k: exact(x_) for k, x_ in {**flat(start), **flat(data)}.items()}
    values = {n: as_matrix_of(numbers, n, _shape(rows)) for n, rows in {**start, **data}.items()}
    at = {sym: x_ for n, m in values.items() for sym, x_ in zip(ns.objects[n], m)}
    update = values[name] - exact(rate) * gradient(ns).xreplace(ns.definitions()).xreplace(at)
    return update.applyfunc(lambda e: e.rewrite(sp.exp).evalf(40))


def update_box(name, shape, step, closed_form, why):
    """The boxed updated parameter: the engine's ``step()`` proved equal, to the 6 digits boxed,
    to ``closed_form()``."""
    return Step(label(name).strip("$") + r"^{\text{new}}",
                lambda v: rounded(as_matrix_of(step().updated, name, shape)), why,
                target=lambda v: rounded(closed_form()))


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


def mlp_agreement(step, start, data, rate, statement):
    """The engine's step against the three float64 references, name by name."""
    return gradient_agreement(lambda: step_numbers(step()), lambda how: mlp_reference(start, data, rate, how),
                              statement)


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


def layer_tables(step, captions):
    """The sheet's tables of the step ``step()`` returns, one per (kind, caption)."""
    return tuple(worked_table(caption + " (computed by the engine, 6 significant digits)", ENTRIES[kind],
                              lambda kind=kind: layer_table(step(), kind))
                 for kind, caption in captions)


# ---------------------------------------------------------------- the centre loss
def np_batch_around(point, centre, rng_seed=0):
    """The point with its centre, a second point of its class and a third of another class
    (random, seeded), as derive.maths.center_loss.batch_around builds it in SymPy."""
    rng = np.random.default_rng(rng_seed)
    others = rng.normal(size=(2, point.size))
    return [point, others[0], others[1]], [centre, rng.normal(size=point.size)], [1, 1, 2]


def np_point_gradient(d):
    """dL_c/dx_i over a batch of three with random other points."""
    return central_gradient(lambda u: center_loss(*np_batch_around(u, d["c_y_i"])), d["x_i"])


def np_updates(d):
    """For every class j: central differences of the NumPy loss in c_j, over 1 + n_j."""
    pts, cs, ys = [np.array([x_]) for x_ in d["x"]], [np.array([c_]) for c_ in d["c"]], [int(y_) for y_ in d["y"]]
    out = []
    for j in range(1, len(cs) + 1):
        def loss_in_cj(u, j=j):
            return center_loss(pts, cs[:j - 1] + [u] + cs[j:], ys)
        out.extend(central_gradient(loss_in_cj, cs[j - 1]) / (1 + ys.count(j)))
    return np.array(out)


def np_linear_gradient(d):
    """dL_c/dz_i through x_i = W z_i + b, the other two inputs random (seeded)."""
    def loss(u):
        extra = np.random.default_rng(0).normal(size=(2, u.size))
        points = [d["W"] @ z_ + d["b"] for z_ in (u, extra[0], extra[1])]
        return center_loss(points, [d["c_y_i"], np.ones(d["b"].size)], [1, 1, 2])
    return central_gradient(loss, d["z_i"])
