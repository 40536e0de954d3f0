"""What a reader of the activation, backprop, softmax and optim sheets sees (issue 18): entries of
a subscripted vector print with both subscripts (x_{i,1}, not x_{i1}), relu_fit's box says what
its statement says, and the worked parts box the numbers their statements ask for, each proved
against a second derivation (and refuted when that derivation differs)."""
import re

import pytest
import sympy as sp

from derive import Step, get_part
from derive.maths.worked_example import rounded
from derive.model.claim import PROVED
from derive.render.printing import latex, names_of
from derive.pipeline.records import shown_instance
from derive.verify.claims import prove_step
from problems import activation, backprop

# A brace subscript of two or more letters and digits run together (x_{i1}, c_{yi1}, w_{01},
# or SymPy's spaced x_{i 1}) with a digit in it: two subscripts flattened into one.
FLATTENED = re.compile(r"_\{(?=[^{},]*\d)(?:[A-Za-z0-9]{2,}|[A-Za-z0-9]+(?: [A-Za-z0-9]+)+)\}")
FLATTENED_BEFORE = ("backprop.center_grad", "backprop.center_linear", "optim.gd_closed_form")


def _sheet_latex(part) -> str:
    """Everything of a part the sheet prints from SymPy: SymPy's instance, result, further results."""
    names = names_of(part.variables)
    instance = shown_instance(part)
    shown = [instance.equation if instance else "", latex(part.result(part.general), names)]
    shown += [latex(s.rhs(part.general), names) for s in part.also if not s.indices]
    return " ".join(shown)


@pytest.mark.parametrize("part_id", FLATTENED_BEFORE)
def test_no_sheet_flattens_two_subscripts_into_one(part_id):
    text = _sheet_latex(get_part(part_id))
    assert not FLATTENED.findall(text), text


def test_the_pattern_sees_the_flattened_names_it_guards_against():
    for bad in ("x_{i1}", "c_{yi1}", "w_{01}", "z_{i 1}"):
        assert FLATTENED.search(bad), bad
    for good in ("x_{i,1}", "c_{y_i,1}", "w_{0,1}", "G_{ij}", "x_{1}", "W_{1,2}"):
        assert not FLATTENED.search(good), good


def test_subscripted_vectors_keep_their_subscript_and_index_apart():
    instance = shown_instance(get_part("backprop.center_grad")).equation
    assert "x_{i,1}" in instance and "c_{y_i,1}" in instance, instance
    assert "w_{0,1}" in shown_instance(get_part("optim.gd_closed_form")).equation


def test_a_scalar_times_a_sum_of_matrices_keeps_its_parentheses():
    a, b = sp.MatrixSymbol("A", 2, 2), sp.MatrixSymbol("B", 2, 2)
    assert latex(sp.MatMul(sp.Rational(1, 3), a + b, evaluate=False)) == r"\frac{1}{3} \left(A + B\right)"


# ----------------------------------------------------------------------------- relu_fit
RELU_FIT = get_part("activation.relu_fit")


def test_relu_fit_boxes_the_quadratic_form_its_statement_states():
    boxed = latex(RELU_FIT.result(RELU_FIT.general), names_of(RELU_FIT.variables))
    assert boxed == activation.QUADRATIC_FORM
    assert f"$E = {activation.QUADRATIC_FORM}$" in RELU_FIT.statement


def test_relu_fit_defines_every_symbol_of_its_form_before_the_box():
    for defined in (r"s_k = \operatorname{sign}(u_k)", r"q = \int \sin^2 x", r"G_{ij} = \int", r"r_i = \int",
                    r"\theta = (c,", r"\phi(x) = "):
        assert defined in RELU_FIT.statement, defined
    assert "s_0" not in RELU_FIT.statement      # s_k is the facing sign; the constant is q


def test_relu_fit_boxes_the_optimum_proved_against_the_piecewise_integral():
    (box,) = RELU_FIT.also
    assert box.lhs == "E^*"
    assert box.rhs(RELU_FIT.general) == rounded(activation.relu_fit_optimum()[1].error)
    assert prove_step(RELU_FIT, box, 10).outcome == PROVED
    off = Step("E^*", box.rhs, "", target=lambda v: rounded(activation.optimum_by_pieces() * 1.001))
    assert prove_step(RELU_FIT, off, 10).outcome != PROVED


# ----------------------------------------------------------------------------- worked numbers
def test_neuron_sgd_boxes_every_w_and_b_proved_against_the_closed_form_steps():
    part = backprop.NEURON_SGD
    assert [s.lhs for s in part.also] == ["(w_1, w_2, w_3, w_4)", "(b_1, b_2, b_3, b_4)"]
    for box in part.also:
        assert prove_step(part, box, 10).outcome == PROVED
    w_4 = part.also[0].rhs(part.general)[0, 3]
    assert w_4 == rounded(backprop.neuron_sgd_steps()[-1].updated["w"])


def test_a_wrong_worked_step_is_not_proved():
    # The closed-form run with the learning rate halved lands elsewhere: the box would fail.
    part = backprop.NEURON_SGD
    halved = Step("w", part.also[0].rhs, "", target=lambda v: rounded(sp.Matrix(
        [[w_ for w_, _ in _run_with_rate("0.05")]])))
    assert prove_step(part, halved, 10).outcome != PROVED


def _run_with_rate(rate):
    saved = backprop.NEURON_RATE
    backprop.NEURON_RATE = rate
    try:
        return backprop.neuron_closed_form_run()
    finally:
        backprop.NEURON_RATE = saved


def test_two_layer_boxes_every_updated_parameter():
    part = backprop.TWO_LAYER
    assert [s.lhs for s in part.also] == [r"W_1^{\text{new}}", r"b_1^{\text{new}}", r"W_2^{\text{new}}",
                                          r"b_2^{\text{new}}"]
    for box in part.also:
        assert prove_step(part, box, 10).outcome == PROVED
    assert part.also[0].rhs(part.general).shape == (2, 2)


@pytest.mark.parametrize("part", [backprop.NEURON_SGD, backprop.TWO_LAYER, RELU_FIT], ids=lambda p: p.id)
def test_worked_tables_have_a_header_over_every_column(part):
    for table in part.demonstrations:
        assert all(h.strip() for h in table.columns), table.columns
        rows = table.table()
        assert all(len(row) <= len(table.columns) for row in rows), table.caption
        assert max(len(row) for row in rows) == len(table.columns), table.caption   # no empty column


# ----------------------------------------------------------------------------- explanations
def test_softmax_shift_says_why_subtracting_the_maximum_is_safe():
    part = get_part("softmax.shift")
    last = part.steps[-1]
    assert r"m = \max_k z_k" in last.why and "overflow" in last.why and "0/0" in last.why
    assert last.target is not None      # proved like every step, not only said


def test_softmax_logistic_lists_no_expression_as_a_variable():
    part = get_part("softmax.logistic")
    assert all(v.latex is None or "^" not in v.latex for v in part.variables)
