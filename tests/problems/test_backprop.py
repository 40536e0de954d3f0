"""Part-specific tests of the backprop family and of the engine tools it brought:
derive.maths.worked_example (SGD steps at explicit numbers), derive.maths.center_loss,
derive.maths.layers, derive.verify.networks (NumPy / finite-difference / JAX references) and
derive.verify.agreement (worked numbers against a reference; skipped without the library)."""
import sys

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from derive import InvalidArgument, check, get_part
from derive.maths.center_loss import center_loss, center_update, check_batch, indicator, picked, simplify_indicators
from derive.maths.layers import SigmoidOf, sigmoid_layer
from derive.maths.worked_example import exact, sgd_step, significant
from derive.model.claim import FAILED, PASSED, REFUTED
from derive.render.printing import latex
from derive.verify.agreement import AgreementCheck
from derive.verify.networks import (finite_difference_gradients, jax_gradients, mlp_backward, mlp_loss,
                                    neuron_backward, neuron_loss)
from derive.errors import MissingLibrary
from derive.verify.optional import SKIPPED
from problems import backprop


# ----------------------------------------------------------------------------- worked examples
@pytest.mark.parametrize("given_, expected", [("0.15", sp.Rational(3, 20)), (0.1, sp.Rational(1, 10)),
                                              (2, sp.Integer(2)), ("3/20", sp.Rational(3, 20))])
def test_numbers_are_exact(given_, expected):
    assert exact(given_) == expected


@pytest.mark.parametrize("bad", ["abc", True, None, float("nan"), float("inf"), [1]])
def test_bad_numbers_are_refused_by_name(bad):
    with pytest.raises(InvalidArgument, match="is not"):
        exact(bad)


def test_one_sgd_step_differentiates_the_loss_at_the_numbers():
    # L = (w x - t)^2 / 2 at w = 0.5, x = 2, t = 0: dL/dw = (w x - t) x = 2, w' = 0.5 - 0.1 * 2.
    step = sgd_step(lambda p, d: [("L", (p["w"] * d["x"] - d["t"]) ** 2 / 2)], {"w": "0.5"}, {"x": 2, "t": 0}, "0.1")
    assert abs(step.gradients["w"] - 2) < 1e-28 and abs(step.updated["w"] - sp.Rational(3, 10)) < 1e-28
    assert abs(step.loss_after - sp.Rational(9, 50)) < 1e-28           # (0.3 * 2)^2 / 2
    assert step.as_data()["updated"]["w"].startswith("0.3000000000")


def test_a_loss_with_unknown_symbols_is_refused():
    with pytest.raises(InvalidArgument, match="neither parameters"):
        sgd_step(lambda p, d: [("L", p["w"] * sp.Symbol("q"))], {"w": 1}, {}, "0.1")
    with pytest.raises(InvalidArgument, match="at least one parameter"):
        sgd_step(lambda p, d: [("L", sp.S.One)], {}, {}, "0.1")


def test_significant_digits():
    assert significant(0.000296439123) == "0.000296439" and significant(-0.0) == "0"


def test_neuron_steps_match_a_float64_loop_and_chain_on():
    steps = backprop.neuron_sgd_steps()
    w_, b_ = 0.1, 0.0
    for step, sample in zip(steps, backprop.NEURON_SAMPLES):
        loss, grads = neuron_backward({"w": w_, "b": b_}, sample["x"], sample["t"])
        assert abs(float(step.loss) - loss) < 1e-15
        w_, b_ = w_ - 0.1 * grads["w"], b_ - 0.1 * grads["b"]
        assert abs(float(step.updated["w"]) - w_) < 1e-15 and abs(float(step.updated["b"]) - b_) < 1e-15
    assert all(a.updated == b.parameters for a, b in zip(steps, steps[1:]))


def test_two_layer_gradients_match_backprop_by_hand():
    step = backprop.two_layer_step()
    params = {k: np.array(v, dtype=float) for k, v in backprop.MLP_START.items()}
    i_, t_ = (np.array(backprop.MLP_DATA[k], dtype=float) for k in ("i", "t"))
    loss, grads = mlp_backward(params, i_, t_)
    assert abs(float(step.loss) - loss) < 1e-15
    for name, g in grads.items():
        for (r, c), value in np.ndenumerate(g):
            assert abs(float(step.gradients[f"{name}_{r + 1}{c + 1}"]) - value) < 1e-15
    assert step.loss_after < step.loss            # one step downhill at rate 0.4


def test_mismatched_network_sizes_get_a_clear_error():
    params = {"W1": np.ones((3, 2)), "b1": np.ones((1, 2)), "W2": np.ones((2, 1)), "b2": np.ones((1, 1))}
    with pytest.raises(InvalidArgument, match="mismatched sizes"):
        mlp_backward(params, np.ones((1, 2)), np.ones((1, 1)))


def test_sigmoid_layer_in_both_worlds():
    n = sp.Symbol("n", integer=True, positive=True)
    general = sigmoid_layer(sp.MatrixSymbol("i", 1, n), sp.MatrixSymbol("W", n, 2), sp.MatrixSymbol("b", 1, 2))
    assert isinstance(general, SigmoidOf) and general.shape == (1, 2) and latex(general).startswith(r"\sigma")
    explicit = sigmoid_layer(sp.Matrix([[0]]), sp.Matrix([[1, 2]]), sp.Matrix([[0, 0]]))
    assert explicit == sp.Matrix([[sp.Rational(1, 2), sp.Rational(1, 2)]])


# ----------------------------------------------------------------------------- agreement checks
def _run(engine, reference):
    return AgreementCheck("s", engine, reference, "m", 1e-12, "why").run(get_part("backprop.neuron_sgd"))


def test_agreement_refutes_a_wrong_number_and_names_it():
    claim = _run(lambda: {"a": 1.0, "b": 2.0}, lambda: {"a": 1.0, "b": 2.001})
    assert claim.outcome == REFUTED and claim.counterexample["quantity"] == "b"
    assert _run(lambda: {"a": 1.0}, lambda: {"a": 1.0 + 1e-15}).outcome == PASSED


def test_a_missing_library_is_skipped_never_passed():
    def needs_jax():
        raise MissingLibrary("JAX not installed")
    claim = _run(lambda: {"a": 1.0}, needs_jax)
    assert claim.outcome == SKIPPED and claim.detail == "skipped: JAX not installed"
    assert _run(lambda: {"a": 1.0}, lambda: {"a": 1 / 0}).outcome == FAILED
    assert _run(lambda: {"a": 1.0}, lambda: {"b": 1.0}).outcome == FAILED


def test_without_jax_the_autodiff_oracle_says_skipped(monkeypatch):
    monkeypatch.setitem(sys.modules, "jax", None)       # import jax now raises ImportError
    jax_check = next(c for c in backprop.NEURON_SGD.checks if "JAX" in c.statement)
    claim = jax_check.run(backprop.NEURON_SGD)
    assert claim.outcome == SKIPPED and claim.detail == "skipped: JAX not installed"


# ----------------------------------------------------------------------------- centre loss
@pytest.mark.parametrize("labels, match", [([1, 3], "label y_2 = 3 is outside the classes 1..2"),
                                           ([0, 1], "label y_1 = 0 is outside"),
                                           ([1.5, 1], "label y_1 = 1.5 is outside"),
                                           ([1], "2 points but 1 labels")])
def test_bad_labels_are_named(labels, match):
    with pytest.raises(InvalidArgument, match=match):
        center_loss([np.zeros(2), np.ones(2)], [np.zeros(2), np.ones(2)], labels)


def test_mismatched_vector_sizes_are_named():
    with pytest.raises(InvalidArgument, match="mismatched vector sizes"):
        check_batch([np.zeros(2), np.ones(3)], [np.zeros(2)], [1, 1])
    with pytest.raises(InvalidArgument, match="class j = 3"):
        center_update([np.zeros(2)], [np.zeros(2), np.ones(2)], [1], 3)


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 4), st.integers(1, 3), st.integers(0, 2**31), st.data())
def test_update_is_the_loss_gradient_over_one_plus_the_class_size(m, k, seed, data):
    rng = np.random.default_rng(seed)
    points, centres = list(rng.normal(size=(m, 2))), list(rng.normal(size=(k, 2)))
    labels = data.draw(st.lists(st.integers(1, k), min_size=m, max_size=m))
    j = data.draw(st.integers(1, k))
    grad = sum((centres[j - 1] - p for p, y in zip(points, labels) if y == j), np.zeros(2))
    assert np.allclose(center_update(points, centres, labels, j), grad / (1 + labels.count(j)))


def test_indicators_pick_one_class():
    x, c1, c2 = sp.symbols("x c_1 c_2")
    y = sp.Symbol("y", integer=True)
    loss = (x - picked(y, [c1, c2])) ** 2 / 2
    # d/dc_1 of (x - [y=1] c_1 - [y=2] c_2)^2 / 2 is [y=1](c_1 - x) once [y=1][y=2] = 0, [y=1]^2 = [y=1]
    assert sp.expand(simplify_indicators(sp.diff(loss, c1)) - indicator(y, 1) * (c1 - x)) == 0


def test_indicator_prints_as_a_bracket():
    i, j = sp.symbols("i j")
    assert indicator(2, 2) == 1 and indicator(1, 2) == 0
    assert latex(indicator(sp.Symbol("y_i"), j)) == "[y_{i} = j]"


# ----------------------------------------------------------------------------- answers and slips
@pytest.mark.parametrize("part_id, answer", [
    ("backprop.neuron_grad_w", "(y - t)*y*(1 - y)*x + lambda*w"),
    ("backprop.neuron_grad_w", r"(y-t)\sigma(wx+b)(1-\sigma(wx+b))x + \lambda w"),
    ("backprop.neuron_grad_w", r"(y-t) \sigma'(wx+b) x + \lambda w"),
    ("backprop.neuron_grad_b", r"(y-t) \sigma'(z)"),
    ("backprop.neuron_grad_t", "t - y"),
    ("backprop.center_linear", "W^T (x_i - c_{y_i})"),
    ("softmax.logistic", "b_1 - b_2"),
    ("backprop.center_update", "sum([y_i = j]*(c_j - x_i), i, 1, m)/(1 + sum([y_i = j], i, 1, m))"),
    ("backprop.center_update", r"\frac{\sum_{i=1}^m \delta(y_i = j)(c_j - x_i)}{1 + \sum_{i=1}^m \delta(y_i = j)}"),
    ("backprop.center_update", r"\frac{\sum_{i=1}^m \mathbb{1}[y_i = j](c_j - x_i)}{1 + \sum_{i=1}^m \mathbb{1}[y_i = j]}"),
])
def test_plain_right_answers_are_accepted(part_id, answer):
    assert check(part_id, answer).status == "correct"


@pytest.mark.parametrize("part_id", ["backprop.neuron_grad_w", "backprop.center_linear", "backprop.center_update"])
def test_declared_slips_are_refuted_and_named(part_id):
    part = get_part(part_id)
    for slip in part.slips:
        verdict = check(part_id, slip.answer)
        assert verdict.status == "incorrect", (slip.answer, verdict.message)
        assert verdict.diagnosis, (slip.answer, verdict.message)


# JAX starts threads; it goes last so no answer check forks a worker after it.
def test_references_agree_with_each_other():
    params = {"W1": np.array([[0.3, -1.2], [0.7, 0.1]]), "b1": np.array([[0.2, -0.4]]),
              "W2": np.array([[1.1], [-0.6]]), "b2": np.array([[0.05]])}
    i_, t_ = np.array([[0.5, -2.0]]), np.array([[0.8]])
    _, by_hand = mlp_backward(params, i_, t_)
    by_differences = finite_difference_gradients(lambda q: mlp_loss(q, i_, t_), params)
    by_jax = jax_gradients(lambda q, jnp: mlp_loss(q, i_, t_, jnp), params)
    for name in params:
        assert np.allclose(by_hand[name], by_differences[name], atol=1e-9)
        assert np.allclose(by_hand[name], by_jax[name], atol=1e-13)
    _, neuron = neuron_backward({"w": 0.3, "b": -0.2}, 1.5, 1.0, lam=0.7)
    assert np.isclose(neuron["w"], float(finite_difference_gradients(
        lambda q: neuron_loss(q, 1.5, 1.0, 0.7), {"w": 0.3, "b": -0.2})["w"]), atol=1e-9)
