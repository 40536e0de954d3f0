r"""Backpropagation checked: one sigmoid neuron's five gradients and its SGD steps, a two-layer
sigmoid network to the last digit, and the centre loss with its update rule and linear layer."""
import numpy as np
import sympy as sp

from derive import Derivation, Grading, Param, Parameters, Part, Sheet, Slip, Step, Variable, parametrised
from derive.maths.center_loss import (ClassLabels, batch_around, batch_sum, derived_updates,
                                      linear_gradient, loss_gradient, update_formula)
from derive.maths.layers import ones_like, sigmoid_layer
from derive.model.domains import Positive
from derive.model.functions import hadamard, held_product, sigma
from derive.verify.backprop_oracles import (closed_form_run, closed_form_update, layer_tables, mlp_agreement,
                                            mlp_step, neuron_agreement, neuron_steps, neuron_table, np_linear_gradient,
                                            np_mlp_error, np_neuron_step, np_point_gradient, np_regularised_cross_entropy,
                                            np_regularised_loss, np_updates, parameter_row, update_box)
from derive.verify.networks import mlp_backward, mlp_loss, neuron_backward, neuron_loss
from derive.verify.numpy_oracles import derivative_in, differences, gradient_in, sigmoid as np_sigmoid

TITLE = "Backpropagation"

# ---------------------------------------------------------------- one neuron
w, b, x, t = (Variable(n) for n in "wbxt")
lam = Variable("lambda", latex=r"\lambda", spellings=(r"\lambda",))
y = Variable("y", definition=lambda v: sigma(v.w * v.x + v.b),
             numeric=lambda d: np_sigmoid(d["w"] * d["x"] + d["b"]))
# z too, so an answer may say sigma'(z) for the slope of the unit
z = Variable("z", definition=lambda v: v.w * v.x + v.b, numeric=lambda d: d["w"] * d["x"] + d["b"])
NEURON = (w, b, x, t, lam, z, y)
def lam_of(v):
    return getattr(v, "lambda")


def regularised_loss(v, loss="squared"):
    """L_reg of the neuron, with y written out as sigma(w x + b): the forward definition."""
    y_ = sigma(v.w * v.x + v.b)
    data = (sp.Rational(1, 2) * (y_ - v.t) ** 2 if loss == "squared"
            else -(v.t * sp.log(y_) + (1 - v.t) * sp.log(1 - y_)))
    return data + lam_of(v) * v.w ** 2 / 2


def error_signal(v, loss="squared"):
    """dL/dz: (y - t) y (1 - y) for the squared error, y - t for the cross-entropy."""
    return (v.y - v.t) * v.y * (1 - v.y) if loss == "squared" else v.y - v.t


LOSSES = {"squared": (r"loss $L = \frac12 (y - t)^2$", r"$\partial L / \partial y = y - t$"),
          "cross-entropy": (r"the cross-entropy loss $L = -t \log y - (1 - t) \log(1 - y)$",
                            r"$\partial L / \partial y = \frac{y - t}{y (1 - y)}$")}
# A variant may change the loss: the gradient, the chain step and the slips change with it.
LOSS_PARAMETER = (Param("loss", "squared", choices=tuple(LOSSES), what="the neuron's loss"),)


def neuron_statement(loss):
    return (rf"A neuron $z = w x + b$, $y = \sigma(z)$ with {LOSSES[loss][0]}, "
            r"regulariser $R = \frac12 w^2$ and $L_{\mathrm{reg}} = L + \lambda R$. ")


NEURON_STATEMENT = neuron_statement("squared")
SIGMA_SQUARED = r"$\sigma^2$ in place of $\sigma$: $y^2 (1 - y)$ for $\sigma'(z)$, as in the course's own solutions"
# (closed form, chain factor beside the error, slips) of w, b and x, by loss
NEURON_GRADIENTS = {
    "w": (lambda v, loss: error_signal(v, loss) * v.x + lam_of(v) * v.w, lambda v: v.x, {
        "squared": (Slip("(y - t)*y^2*(1 - y)*x + lambda*w", SIGMA_SQUARED),
                    Slip("(y - t)*y*(1 - y)*x", r"the regulariser's gradient $\lambda w$ is missing"),
                    Slip("(t - y)*y*(1 - y)*x + lambda*w", "the sign of the error $y - t$")),
        "cross-entropy": (Slip("(y - t)*y*(1 - y)*x + lambda*w", r"$\sigma'(z)$ kept: with the cross-entropy it cancels"),
                          Slip("(y - t)*x", r"the regulariser's gradient $\lambda w$ is missing"),
                          Slip("(t - y)*x + lambda*w", "the sign of the error $y - t$"))}),
    "b": (lambda v, loss: error_signal(v, loss), lambda v: 1, {
        "squared": (Slip("(y - t)*y^2*(1 - y)", SIGMA_SQUARED), Slip("(t - y)*y*(1 - y)", "the sign of the error")),
        "cross-entropy": (Slip("(y - t)*y*(1 - y)", r"$\sigma'(z)$ kept: with the cross-entropy it cancels"),
                          Slip("t - y", "the sign of the error"))}),
    "x": (lambda v, loss: error_signal(v, loss) * v.w, lambda v: v.w, {
        "squared": (Slip("(y - t)*y^2*(1 - y)*w", SIGMA_SQUARED), Slip("(t - y)*y*(1 - y)*w", "the sign of the error"),
                    Slip("(y - t)*y*(1 - y)*w + lambda*w",
                         "the regulariser $\\lambda w$ carried over, but $R$ does not depend on $x$")),
        "cross-entropy": (Slip("(y - t)*y*(1 - y)*w", r"$\sigma'(z)$ kept: with the cross-entropy it cancels"),
                          Slip("(t - y)*w", "the sign of the error"),
                          Slip("(y - t)*w + lambda*w", "the regulariser $\\lambda w$ carried over, but $R$ does not "
                                                       "depend on $x$"))})}


def neuron_part(name, wrt, title, closed, chain, slips, extra="", loss="squared"):
    oracle_loss = np_regularised_loss if loss == "squared" else np_regularised_cross_entropy
    return Part(
        id=f"backprop.neuron_grad_{name}", title=f"The neuron: gradient of the regularised loss in {title}",
        sheet=Sheet(statement=neuron_statement(loss) + rf"Find $\partial L_{{\mathrm{{reg}}}} / \partial {wrt}$ in terms "
                              rf"of $y = \sigma(w x + b)$.{extra}"),
        derivation=Derivation(
            variables=NEURON, derive=lambda v: sp.diff(regularised_loss(v, loss), v.objects[name]), result=closed,
            result_lhs=rf"\frac{{\partial L_{{\mathrm{{reg}}}}}}{{\partial {wrt}}}",
            steps=(Step(rf"\frac{{\partial L_{{\mathrm{{reg}}}}}}{{\partial {wrt}}}", chain, "chain rule through "
                        + LOSSES[loss][1] + r" and $\sigma'(z) = \sigma(z)(1 - \sigma(z)) = y(1 - y)$"
                        + ("" if loss == "squared" else r", which cancel to $y - t$")),)
            if chain else (),
            oracle=derivative_in(name, oracle_loss,
                                 rf"central finite differences of a NumPy $L_{{\mathrm{{reg}}}}$ in ${wrt}$")),
        grading=Grading(
            slips=slips, neighbours=tuple(f"backprop.neuron_grad_{n}" for n in ("w", "b", "x") if n != name)),
    )


def neuron_gradient(name):
    """The gradient in w, b or x, for the loss a variant chooses (the catalogue's: squared error)."""
    closed, factor, slips = NEURON_GRADIENTS[name]

    def build(values):
        loss = values["loss"]
        extra = lam_of if name == "w" else None
        if loss == "squared":
            chain = lambda v: held_product(v.y - v.t, v.y * (1 - v.y), factor(v)) + (extra(v) * v.w if extra else 0)
        else:
            chain = lambda v: held_product(v.y - v.t, factor(v)) + (extra(v) * v.w if extra else 0)
        return neuron_part(name, name, name, lambda v: closed(v, loss), chain, slips[loss], loss=loss)
    return parametrised(Parameters(LOSS_PARAMETER, build))


NEURON_PARTS = [
    *(neuron_gradient(n) for n in "wbx"),
    neuron_part("lambda", r"\lambda", "lambda", lambda v: v.w ** 2 / 2, None,
                (Slip("w^2", r"the factor $\frac12$ of $R = \frac12 w^2$ dropped"),)),
    neuron_part("t", "t", "t", lambda v: v.t - v.y, None, (Slip("y - t", r"the sign: $\partial (y - t)^2 / \partial t = -2 (y - t)$"),)),
]


# ---------------------------------------------------------------- worked examples
def once(compute):
    """``compute()`` the first time it is asked for, kept after (the engine's steps take a second)."""
    kept = []
    return lambda: kept[0] if kept else kept.append(compute()) or kept[0]


def number(text) -> str:
    """A parameter's value as the statement prints it: 0.10 as 0.1, 2.0 as 2."""
    value = f"{float(text):g}" if not isinstance(text, int) else str(text)
    return value


eta = Variable("eta", domain=Positive(), latex=r"\eta", spellings=(r"\eta",))
# The course's numbers, and how far a variant may move them: inputs of either sign but never 0
# (x = 0 leaves w where it is), targets 0 or 1, rates that make progress without overshooting.
NEURON_PARAMETERS = (
    Param("w0", "0.1", low="-0.5", high="0.5", step="0.1", what="the initial weight"),
    Param("b0", "0", low="-0.3", high="0.3", step="0.1", what="the initial bias"),
    Param("eta", "0.1", low="0.1", high="1.0", step="0.1", what="the learning rate"),
    Param("x_a", 2, choices=(-2, -1, 1, 2, 3), what="the first sample's input"),
    Param("t_a", 0, choices=(0, 1), what="the first sample's target"),
    Param("x_b", 1, choices=(-2, -1, 1, 2, 3), what="the second sample's input"),
    Param("t_b", 1, choices=(0, 1), what="the second sample's target"))


NEURON_SGD_DEFAULTS = {p.name: p.default for p in NEURON_PARAMETERS}


def sensible_neuron_run(values):
    """Two different samples, and a rate at which each step lowers the loss on its own sample."""
    if (values["x_a"], values["t_a"]) == (values["x_b"], values["t_b"]):
        return "the two samples are the same"
    params, rate = {"w": float(values["w0"]), "b": float(values["b0"])}, float(values["eta"])
    for x_, t_ in ((values["x_a"], values["t_a"]), (values["x_b"], values["t_b"])) * 2:
        before, grads = neuron_backward(params, x_, t_)
        params = {k: params[k] - rate * grads[k] for k in params}
        if neuron_loss(params, x_, t_) >= before:
            return f"a step at learning rate {values['eta']} does not lower the loss on its sample ({x_}, {t_})"
    return None


def neuron_sgd(values):
    start, rate = {"w": values["w0"], "b": values["b0"]}, values["eta"]
    pairs = ((values["x_a"], values["t_a"]), (values["x_b"], values["t_b"])) * 2
    samples = [{"x": x_, "t": t_, "lambda": 0} for x_, t_ in pairs]
    steps = once(lambda: neuron_steps(start, samples, rate))   # the engine's, 30 significant digits
    made = {}
    # (w_k, b_k) for k = 1..4 by iterating the backpropagated step the part proves for all numbers
    # (its closed form), not the engine's differentiation of L_reg behind the tables.
    closed_run = once(lambda: closed_form_run(made["part"], start, samples, rate))
    shown = ", ".join(f"({number(x_)}, {t_})" for x_, t_ in pairs)
    made["part"] = Part(
        id="backprop.neuron_sgd", title="The neuron: SGD steps at the course's numbers"
        if values == NEURON_SGD_DEFAULTS else "The neuron: four SGD steps at given numbers",
        sheet=Sheet(
            statement=NEURON_STATEMENT + rf"From $w_0 = {number(start['w'])}$, $b_0 = {number(start['b'])}$ with "
                      rf"learning rate $\eta = {number(rate)}$ and $\lambda = 0$, take one SGD step per sample on "
                      rf"$(x, t) = {shown}$ in that order: give every $w$ and $b$. (On the solution sheet the engine "
                      r"differentiates $L_{\mathrm{reg}}$, and the claim checked for all numbers is the step written "
                      r"with the backpropagated gradients.)",
            demonstrations=(neuron_table(r"The four steps, computed by the engine (SymPy differentiates "
                                         r"$L_{\mathrm{reg}}$; 6 significant digits)", steps, 4),)),
        derivation=Derivation(
            variables=NEURON + (eta,),
            derive=lambda v: sp.Matrix([v.w, v.b]) - v.eta * sp.Matrix([regularised_loss(v)]).jacobian([v.w, v.b]).T,
            result=lambda v: sp.Matrix([v.w - v.eta * (error_signal(v) * v.x + lam_of(v) * v.w),
                                        v.b - v.eta * error_signal(v)]),
            result_lhs=r"\begin{pmatrix} w' \\ b' \end{pmatrix}",
            # The numbers the statement asks for: the engine's (SymPy differentiates L_reg, tables
            # below) proved equal, to the 6 digits boxed, to four steps of the proved closed form.
            also=tuple(Step(rf"({name}_1, {name}_2, {name}_3, {name}_4)",
                            lambda v, n=n: parameter_row(n, [(s_.updated["w"], s_.updated["b"]) for s_ in steps()]),
                            "the four steps in order (6 significant digits)",
                            target=lambda v, n=n: parameter_row(n, closed_run()))
                       for n, name in enumerate("wb")),
            oracle=differences(np_neuron_step, r"one step with central finite differences of a NumPy $L_{\mathrm{reg}}$"),
            checks=neuron_agreement(steps, start, samples, rate, "the four steps' losses, gradients, $w$ and $b$")),
    )
    return made["part"]


NEURON_SGD = parametrised(Parameters(NEURON_PARAMETERS, neuron_sgd, sensible_neuron_run))
# The course's numbers, for tests that recompute them independently.
NEURON_START, NEURON_RATE = {"w": "0.1", "b": "0"}, "0.1"
NEURON_SAMPLES = [{"x": x_, "t": t_, "lambda": 0} for x_, t_ in ((2, 0), (1, 1), (2, 0), (1, 1))]


def neuron_sgd_steps():
    return neuron_steps(NEURON_START, NEURON_SAMPLES, NEURON_RATE)


def neuron_closed_form_run():
    return closed_form_run(NEURON_SGD, NEURON_START, NEURON_SAMPLES, NEURON_RATE)


# ---------------------------------------------------------------- two layers
def mlp_output(v):
    """o = sigma(a_1 W_2 + b_2), with a_1 written out at explicit sizes (so proofs see the whole
    forward pass) and kept as a_1 in the sheet's notation."""
    hidden = v.a1 if v.general else sigmoid_layer(v.i, v.W1, v.b1)
    return sigmoid_layer(hidden, v.W2, v.b2)


i_in = Variable("i", (1, "n"))
W1, b1 = Variable("W1", ("n", "h"), latex="W_1"), Variable("b1", (1, "h"), latex="b_1")
W2, b2 = Variable("W2", ("h", "k"), latex="W_2"), Variable("b2", (1, "k"), latex="b_2")
a1 = Variable("a1", (1, "h"), latex="a_1", definition=lambda v: sigmoid_layer(v.i, v.W1, v.b1),
              numeric=lambda d: np_sigmoid(d["i"] @ d["W1"] + d["b1"]))
o_out = Variable("o", (1, "k"), definition=mlp_output,
                 numeric=lambda d: np_sigmoid(d["a1"] @ d["W2"] + d["b2"]))
t_row = Variable("t", (1, "k"))
MLP = (i_in, W1, b1, a1, W2, b2, o_out, t_row)


def mlp_error(v):
    return sum((mlp_output(v) - v.t).applyfunc(lambda e: e ** 2)) / 2


def gradient_of_error(name):
    """dE/dP for the parameter matrix P = name, entry by entry, by differentiating E."""
    def derived(v):
        error, parameter = mlp_error(v), v.objects[name]
        return sp.Matrix(*parameter.shape, lambda r, c: error.diff(parameter[r, c]))
    return derived


def delta_out(v):
    return hadamard(hadamard(v.o - v.t, v.o), ones_like(v.o) - v.o)


def delta_hidden(v):
    return hadamard(hadamard(delta_out(v) * v.W2.T, v.a1), ones_like(v.a1) - v.a1)


# dE/dP by the backpropagation formulas the part proves for all sizes
BACKPROPAGATED = {"W1": lambda v: v.i.T * delta_hidden(v), "b1": delta_hidden,
                  "W2": lambda v: v.a1.T * delta_out(v), "b2": delta_out}
MLP_SIZES = {"n": [1, 2, 3], "h": [1, 2, 2], "k": [1, 2, 1]}


def grid(name, default, low, high, step, what):
    return Param(name, default, low=low, high=high, step=step, what=what)


# The course's numbers and each one's range: small positive inputs and weights (the sigmoid is far
# from saturating, so every gradient is visible at 6 digits), targets inside (0, 1), rates that make
# progress (E falls after the step: two_layer_progress).
TWO_LAYER_PARAMETERS = (
    grid("i1", "0.05", "0.05", "0.5", "0.05", "the first input"), grid("i2", "0.15", "0.05", "0.5", "0.05", "the second input"),
    *(grid(f"W1_{r}{c}", d, "0.05", "0.5", "0.05", f"entry ({r}, {c}) of W_1")
      for (r, c), d in zip(((1, 1), (1, 2), (2, 1), (2, 2)), ("0.1", "0.2", "0.15", "0.25"))),
    grid("b1", "0.3", "0.1", "0.6", "0.1", "the hidden bias (both units)"),
    *(grid(f"W2_{r}{c}", d, "0.05", "0.5", "0.05", f"entry ({r}, {c}) of W_2")
      for (r, c), d in zip(((1, 1), (1, 2), (2, 1), (2, 2)), ("0.3", "0.4", "0.35", "0.45"))),
    grid("b2", "0.5", "0.1", "0.6", "0.1", "the output bias (both units)"),
    grid("t1", "0.1", "0.05", "0.95", "0.05", "the first target"), grid("t2", "0.9", "0.05", "0.95", "0.05", "the second target"),
    grid("eta", "0.4", "0.1", "1.0", "0.1", "the learning rate"))


def two_layer_progress(values):
    """The step lowers E (a rate that makes progress), checked in float64 before the engine runs."""
    params = {"W1": np.array([[values["W1_11"], values["W1_12"]], [values["W1_21"], values["W1_22"]]], dtype=float),
              "b1": np.full((1, 2), float(values["b1"])), "b2": np.full((1, 2), float(values["b2"])),
              "W2": np.array([[values["W2_11"], values["W2_12"]], [values["W2_21"], values["W2_22"]]], dtype=float)}
    i_, t_ = (np.array([[values[f"{n}1"], values[f"{n}2"]]], dtype=float) for n in "it")
    before, grads = mlp_backward(params, i_, t_)
    after = mlp_loss({k: params[k] - float(values["eta"]) * grads[k] for k in params}, i_, t_)
    return None if after < before else f"the step at learning rate {values['eta']} does not lower E"


def pair(a, b):
    return f"({number(a)}, {number(b)})"


def two_layer(values):
    m = {f"{n}_{rc}": values[f"{n}_{rc}"] for n in ("W1", "W2") for rc in ("11", "12", "21", "22")}
    start = {"W1": [[m["W1_11"], m["W1_12"]], [m["W1_21"], m["W1_22"]]], "b1": [[values["b1"], values["b1"]]],
             "W2": [[m["W2_11"], m["W2_12"]], [m["W2_21"], m["W2_22"]]], "b2": [[values["b2"], values["b2"]]]}
    data, rate = {"i": [[values["i1"], values["i2"]]], "t": [[values["t1"], values["t2"]]]}, values["eta"]
    step = once(lambda: mlp_step(start, data, rate))
    made = {}

    def box(name):
        """The updated parameter the statement asks for, as the sheet boxes it: the engine's
        (SymPy differentiates E) against a step with the backpropagation formulas."""
        closed = once(lambda: closed_form_update(made["part"], BACKPROPAGATED[name], name, {"n": 2, "h": 2, "k": 2},
                                                 start, data, rate))
        return update_box(name, (len(start[name]), len(start[name][0])), step, closed,
                          rf"$P - {number(rate)}\,\partial E / \partial P$ (6 significant digits)")

    def matrix(rows):
        return "(" + ", ".join(pair(*row) for row in rows) + ")"
    made["part"] = Part(
        id="backprop.two_layer", title="A two-layer sigmoid network, to the last digit",
        sheet=Sheet(
            statement=r"Row vectors: $z_1 = i W_1 + b_1$, $a_1 = \sigma(z_1)$, $z_2 = a_1 W_2 + b_2$, $o = \sigma(z_2)$, "
                      r"$E = \frac12 \sum (o - t)^2$ with "
                      rf"$i = {pair(values['i1'], values['i2'])}$, $W_1 = {matrix(start['W1'])}$, "
                      rf"$b_1 = {pair(values['b1'], values['b1'])}$, $W_2 = {matrix(start['W2'])}$, "
                      rf"$b_2 = {pair(values['b2'], values['b2'])}$, $t = {pair(values['t1'], values['t2'])}$ and "
                      rf"learning rate ${number(rate)}$: give the forward values, $E$, every gradient and every "
                      r"updated parameter.",
            demonstrations=layer_tables(step, (("forward", "Forward pass"),
                                               ("gradients", r"Gradients, by differentiating $E$"),
                                               ("updated", rf"After one step with $\eta = {number(rate)}$")))),
        derivation=Derivation(
            variables=MLP, sizes=MLP_SIZES, numeric_sizes={"n": [1, 2, 4], "h": [1, 2, 5], "k": [1, 2, 3]},
            derive=gradient_of_error("W1"), result=lambda v: v.i.T * delta_hidden(v),
            result_lhs=r"\frac{\partial E}{\partial W_1}",
            steps=(Step(r"\delta_2 = \frac{\partial E}{\partial z_2}", delta_out,
                        r"$\partial E / \partial o = o - t$ and $\sigma'(z_2) = o \circ (1 - o)$, where $\circ$ is the entrywise "
                        r"(Hadamard) product and $\mathbf{1}$ a row of ones",
                        target=lambda v: gradient_of_error("b2")(v)),
                   Step(r"\frac{\partial E}{\partial W_2}", lambda v: v.a1.T * delta_out(v), r"$z_2 = a_1 W_2 + b_2$",
                        target=gradient_of_error("W2")),
                   Step(r"\delta_1 = \frac{\partial E}{\partial b_1}", delta_hidden,
                        r"back through $W_2$ and $\sigma'(z_1) = a_1 \circ (1 - a_1)$", target=gradient_of_error("b1"))),
            oracle=gradient_in("W1", np_mlp_error, "central finite differences of a NumPy forward pass in $W_1$"),
            # The updated parameters the statement asks for: the engine's (SymPy differentiates E)
            # proved equal, to the 6 digits boxed, to a step with the proved backpropagation formulas.
            also=tuple(box(n) for n in start),
            checks=mlp_agreement(step, start, data, rate,
                                 "$E$, every gradient, every updated parameter and $E$ after the step")),
    )
    return made["part"]


TWO_LAYER = parametrised(Parameters(TWO_LAYER_PARAMETERS, two_layer, two_layer_progress))
# The course's numbers, for tests that recompute them independently.
MLP_START = {"W1": [["0.1", "0.2"], ["0.15", "0.25"]], "b1": [["0.3", "0.3"]],
             "W2": [["0.3", "0.4"], ["0.35", "0.45"]], "b2": [["0.5", "0.5"]]}
MLP_DATA, MLP_RATE = {"i": [["0.05", "0.15"]], "t": [["0.1", "0.9"]]}, "0.4"


def two_layer_step():
    return mlp_step(MLP_START, MLP_DATA, MLP_RATE)


# ---------------------------------------------------------------- centre loss
CENTER_STATEMENT = (r"Centre loss on a mini-batch $x_1, \dots, x_m$ with labels $y_i \in \{1, \dots, K\}$ and "
                    r"class centres $c_1, \dots, c_K$: $L_c = \frac12 \sum_{i=1}^m \|x_i - c_{y_i}\|^2$. ")
x_i = Variable("x_i", ("d",), latex="x_i")
c_y = Variable("c_y_i", ("d",), latex="c_{y_i}", spellings=("c_{y_i}", "c_y_i"))
CENTER_SIZES = {"d": [1, 2, 3]}


CENTER_GRAD = Part(
    id="backprop.center_grad", title="Centre loss: the gradient in a point",
    sheet=Sheet(statement=CENTER_STATEMENT + r"Find $\partial L_c / \partial x_i$."),
    derivation=Derivation(
        variables=(x_i, c_y), sizes=CENTER_SIZES, derive=lambda v: loss_gradient(v.x_i, batch_around(v, v.x_i)),
        result=lambda v: v.x_i - v.c_y_i, result_lhs=r"\frac{\partial L_c}{\partial x_i}",
        oracle=differences(np_point_gradient, "central finite differences of a NumPy centre loss over a batch of "
                           "three with random other points")),
    grading=Grading(neighbours=("backprop.center_linear",),
                    slips=(Slip("c_{y_i} - x_i", "the sign: that is the gradient in the centre, not in the point"),)),
)


points, centres, labels = Variable("x", ("m",)), Variable("c", ("K",)), Variable("y", ("m",), ClassLabels())

CENTER_UPDATE = Part(
    id="backprop.center_update", title="Centre loss: the update of a centre",
    sheet=Sheet(
        statement=CENTER_STATEMENT + r"The paper updates each centre by $c_j \leftarrow c_j - \alpha \Delta c_j$ with "
                  r"$\Delta c_j$ the gradient $\partial L_c / \partial c_j$ over one plus the number of points of class "
                  r"$j$. Find $\Delta c_j$ with an indicator $[y_i = j]$. The rule acts on each coordinate alike, so "
                  r"the derivation and answers take one coordinate: $x_i$ and $c_j$ are numbers, $y_i$ labels. "
                  r"($\epsilon$, a small constant, appears only in a common slip.)"),
    derivation=Derivation(
        variables=(points, centres, labels, Variable("eps", domain=Positive(), latex=r"\epsilon")),
        sizes={"m": [1, 2, 3], "K": [3, 3, 4]}, numeric_sizes={"m": [1, 2, 3, 5], "K": [3, 4, 6]},
        derive=derived_updates, result=update_formula, result_lhs=r"\Delta c_j",
        oracle=differences(np_updates, "central finite differences of a NumPy centre loss in $c_j$, over $1 + n_j$ "
                           "($n_j$ the number of points of class $j$)")),
    grading=Grading(
        neighbours=("backprop.center_grad",),
        slips=(Slip(r"\frac{\sum_{i=1}^m [y_i = j](x_i - c_j)}{1 + \sum_{i=1}^m [y_i = j]}",
                    "the sign of the update: $c_j$ moves towards its points, so $\\Delta c_j$ has $c_j - x_i$"),
               Slip(r"\frac{\sum_{i=1}^m [y_i = j](c_j - x_i)}{\epsilon + \sum_{i=1}^m [y_i = j]}",
                    r"$\epsilon$ in place of 1 in the denominator: the paper's 1 damps the update of a class "
                    r"with few points in the batch"))),
)

W_lin, b_lin = Variable("W", ("d", "p")), Variable("b", ("d",))
z_i = Variable("z_i", ("p",), latex="z_i")
x_lin = Variable("x_i", ("d",), latex="x_i", definition=lambda v: v.W * v.z_i + v.b,
                 numeric=lambda d: d["W"] @ d["z_i"] + d["b"])
LINEAR = (W_lin, z_i, b_lin, x_lin, c_y)


CENTER_LINEAR = Part(
    id="backprop.center_linear", title=r"Centre loss behind a linear layer",
    sheet=Sheet(statement=CENTER_STATEMENT + r"With $x_i = W z_i + b$, find $\partial L_c / \partial W$, "
                          r"$\partial L_c / \partial b$ and $\partial L_c / \partial z_i$ (the answer)."),
    derivation=Derivation(
        variables=LINEAR, sizes={"d": [1, 2, 3], "p": [1, 3, 2]}, derive=linear_gradient("z_i"),
        result=lambda v: v.W.T * (v.x_i - v.c_y_i), result_lhs=r"\frac{\partial L_c}{\partial z_i}",
        steps=(Step(r"\frac{\partial L_c}{\partial W}", lambda v: batch_sum(v, lambda e, z_: e * z_.T),
                    r"$\partial x_i / \partial W_{rs} = z_{i,s}$ in row $r$", target=linear_gradient("W")),
               Step(r"\frac{\partial L_c}{\partial b}", lambda v: batch_sum(v, lambda e, z_: e),
                    r"$\partial x_i / \partial b = I$", target=linear_gradient("b"))),
        oracle=differences(np_linear_gradient, "central finite differences of a NumPy centre loss in $z_i$ "
                           "through $x_i = W z_i + b$")),
    grading=Grading(
        neighbours=("backprop.center_grad",),
        slips=(Slip("(x_i - c_{y_i})^T W", "a transpose: the gradient with respect to a column $z_i$ is a column"),
               Slip("W^T (c_{y_i} - x_i)", "the sign of $x_i - c_{y_i}$"))),
)

PARTS = [*NEURON_PARTS, NEURON_SGD, TWO_LAYER, CENTER_GRAD, CENTER_UPDATE, CENTER_LINEAR]
