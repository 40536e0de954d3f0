"""Part-specific tests of the optim family and of the engine tools it brought:
derive.maths.inequalities (conditions compared as sets), derive.maths.recurrences (symbolic-t
recurrences and induction) and derive.verify.simulation (claims checked by running algorithms)."""
import dataclasses

import numpy as np
import pytest
import sympy as sp
from hypothesis import strategies as st

from derive import DeriveError, InvalidArgument, get_part, select, verify_part
from derive.maths.inequalities import (NotSolvable, as_relational, intersection_over, same_set,
                                 solution_set, witness)
from derive.maths.recurrences import Induction, by_induction, expect_linear, solve_first_order
from derive.verify.optimiser_oracles import ADAM_DEFAULTS, adam_numpy
from derive.verify.simulation import Simulation
from problems import optim

EPS = sp.Symbol("eps", real=True)
LMAX, LMIN = sp.symbols("lambda_max lambda_min", positive=True)
T = sp.Symbol("t", integer=True, nonnegative=True)


# ----------------------------------------------------------------------------- inequalities
def test_step_bound_is_solved_not_typed():
    one = solution_set(sp.Abs(1 - EPS * LMAX) < 1, EPS)
    assert one == sp.Interval.open(0, 2 / LMAX)
    lam = sp.Symbol("lam", positive=True)
    over = intersection_over(lambda l: sp.Abs(1 - EPS * l) < 1, EPS, lam, LMIN, LMAX)
    assert over == sp.Interval.open(0, 2 / LMAX)


@pytest.mark.parametrize("a, b, expected", [
    (sp.And(0 < EPS, EPS < 2 / LMAX), (EPS > 0) & (LMAX * EPS < 2), True),
    (sp.And(0 < EPS, EPS < 2 / LMAX), sp.And(EPS < 2 / LMAX, 0 < EPS), True),
    (sp.And(0 < EPS, EPS < 2 / LMAX), sp.And(0 < EPS, EPS < 2 / (LMIN + LMAX)), None),
    (sp.And(0 < EPS, EPS < 2 / LMAX), EPS < 2 / LMAX, None),
    (sp.And(0 < EPS, EPS < 2 / LMAX), sp.And(0 <= EPS, EPS < 2 / LMAX), None),
    (sp.And(0 < EPS, EPS < 2), sp.And(0 < EPS, EPS <= 2), None),
])
def test_conditions_compare_as_sets(a, b, expected):
    assert same_set(a, b) is expected


def test_witness_is_a_step_size_on_which_the_claims_disagree():
    right = sp.And(0 < EPS, EPS < 2 / LMAX)
    wrong = sp.And(0 < EPS, EPS < 2 / (LMIN + LMAX))
    point = {LMIN: 0.5, LMAX: 2.0}
    e = witness(right, wrong, EPS, point)
    assert 2 / 2.5 <= e < 2 / 2.0
    assert witness(right, EPS < 2 / LMAX, EPS, point) < 0
    assert witness(right, (EPS > 0) & (LMAX * EPS < 2), EPS, point) is None


def test_bad_conditions_raise_derive_errors():
    with pytest.raises(NotSolvable) as info:
        solution_set(EPS + 1, EPS)
    assert isinstance(info.value, DeriveError) and "eps + 1" in str(info.value)
    with pytest.raises(NotSolvable):
        solution_set(LMAX < 2, EPS)
    assert same_set(as_relational(sp.Abs(1 - EPS) < 1, EPS), sp.And(0 < EPS, EPS < 2)) is True


# ----------------------------------------------------------------------------- recurrences
def test_solve_first_order_on_another_recurrence():
    # x_t = 2 x_{t-1} + 1, x_0 = 0 has x_t = 2^t - 1.
    x = solve_first_order(2, lambda i: 1, 0, T)
    assert [x.subs(T, n).doit() for n in range(6)] == [2 ** n - 1 for n in range(6)]


def test_induction_rejects_wrong_closed_forms():
    eps, w0 = sp.Symbol("eps"), sp.Symbol("w0")
    assert by_induction((1 - eps) ** T * w0, lambda prev, t: (1 - eps) * prev, w0, T)[0] is True
    assert by_induction((1 - eps) ** (T + 1) * w0, lambda prev, t: (1 - eps) * prev, w0, T)[0] is None
    assert by_induction((1 + eps) ** T * w0, lambda prev, t: (1 - eps) * prev, w0, T)[0] is None
    n = sp.Symbol("n", integer=True, positive=True)
    h, w = sp.MatrixSymbol("H", n, n), sp.MatrixSymbol("w_0", n, 1)
    a = sp.Identity(n) - eps * h
    assert by_induction(sp.MatPow(a, T) * w, lambda prev, t: prev - eps * h * prev, w, T)[0] is True
    assert by_induction(sp.MatPow(sp.Identity(n) + eps * h, T) * w,
                        lambda prev, t: prev - eps * h * prev, w, T)[0] is None


def test_recurrence_tools_refuse_what_they_cannot_do():
    with pytest.raises(InvalidArgument):
        solve_first_order(T, lambda i: 1, 0, T)
    g = sp.IndexedBase("g")
    i = sp.Symbol("i", integer=True, positive=True)
    with pytest.raises(InvalidArgument, match="not linear"):
        expect_linear(sp.Sum(g[i] ** 2, (i, 1, T)), g, lambda k: 1)


def test_failed_induction_is_reported_failed():
    part = get_part("optim.newton_step_bound")
    wrong = Induction("w_t = (1 + eps)^t w_0", lambda v: (1 + v.eps) ** T * v.w_0,
                      lambda v, prev, t: prev - v.eps * prev, lambda v: v.w_0, t=T)
    claim = wrong.run(part)
    assert claim.outcome == "failed" and "inductive step" in claim.detail


# ----------------------------------------------------------------------------- simulation
def test_simulation_reports_a_failing_case_and_a_crash():
    part = get_part("optim.gd_closed_form")
    refuted = Simulation("x is below 0.5", lambda: st.floats(0, 1), lambda p, x: (x, {"x": x}),
                         "identity", 0.5, "test", cases=50).run(part)
    assert refuted.outcome == "refuted" and refuted.counterexample["x"] > 0.5

    def crash(p, x):
        raise ZeroDivisionError("boom")
    failed = Simulation("crashes", lambda: st.just(1.0), crash, "crash", 0.0, "test", cases=3).run(part)
    assert failed.outcome == "failed" and "boom" in failed.counterexample["exception"]


# ----------------------------------------------------------------------------- the family
@pytest.mark.slow
def test_every_optim_part_is_proved_with_its_checks():
    for part in select(["optim"]):
        report = verify_part(part)
        bad = [(c.kind, c.statement, c.outcome, c.detail) for c in report.claims
               if c.outcome not in ("proved", "passed")]
        assert not bad, (part.id, bad)
        assert any(c.kind in ("numeric", "simulation") and c.cases > 0 for c in report.claims), part.id


def _with_result(part_id, result):
    part = get_part(part_id)
    return dataclasses.replace(part, derivation=dataclasses.replace(part.derivation, result=result))


@pytest.mark.slow
def test_wrong_step_bound_is_refuted_with_a_counterexample_step_size():
    wrong = _with_result("optim.gd_step_bound", lambda v: sp.And(0 < v.eps, v.eps < 2 / (v.lambda_min + v.lambda_max)))
    report = verify_part(wrong)
    assert report.outcome == "refuted"
    sim = next(c for c in report.claims if c.kind == "simulation")
    counter = sim.counterexample
    eps, lmin, lmax = counter["counterexample step size eps"], counter["lambda_min"], counter["lambda_max"]
    # The counterexample is real: gradient descent there converges although the claim says
    # it sits on or beyond the boundary. Re-run it independently on diag(lmin, lmax).
    assert 2 / (lmin + lmax) <= eps < 2 / lmax
    w = np.ones(2)
    for _ in range(500):
        w = w - eps * np.array([lmin, lmax]) * w
    assert np.linalg.norm(w) < 1e-6
    assert counter["simulation shows"] == "converges"


@pytest.mark.slow
@pytest.mark.parametrize("part_id, wrong", [
    ("optim.newton_step_bound", lambda v: sp.And(0 < v.eps, v.eps < 1)),
    ("optim.gd_step_bound", lambda v: sp.And(0 < v.eps, v.eps < 4 / v.lambda_max)),
    ("optim.gd_step_bound", lambda v: v.eps < 2 / v.lambda_max),
])
def test_other_wrong_bounds_are_refuted_by_simulation(part_id, wrong):
    report = verify_part(_with_result(part_id, wrong))
    sim = next(c for c in report.claims if c.kind == "simulation")
    assert sim.outcome == "refuted", sim


@pytest.mark.parametrize("part_id, wrong", [
    ("optim.adam_unroll", lambda v: optim.over_steps(v, lambda i, g: v.beta_1 ** (v.t - i) * g)),
    ("optim.adam_bias", lambda v: v.mu),
    ("optim.adam_first_step", lambda v: v.alpha * (1 - v.beta_1) / (1 - v.beta_2)),
    ("optim.gd_optimal_step", lambda v: 1 / v.lambda_max),
])
def test_wrong_closed_forms_are_refuted(part_id, wrong):
    report = verify_part(_with_result(part_id, wrong), cases=10)
    closed = report.claims[0]
    assert closed.outcome == "refuted" and closed.counterexample, closed


def test_first_step_at_the_defaults_is_about_3_16_alpha():
    # From the NumPy loop, not the closed form: the uncorrected first step over alpha.
    d = ADAM_DEFAULTS
    step = abs(adam_numpy(0.0, [0.37], d["alpha"], d["beta_1"], d["beta_2"], 0.0, correct=False)[0])
    assert step / d["alpha"] == pytest.approx(np.sqrt(10), rel=1e-12)
    corrected = abs(adam_numpy(0.0, [0.37], d["alpha"], d["beta_1"], d["beta_2"], 0.0)[0])
    assert corrected == pytest.approx(d["alpha"], rel=1e-12)


def test_derived_objects_are_computed_by_sympy():
    ns = get_part("optim.gd_step_bound").namespace({})
    assert optim.gd_step_bound(ns) == optim.between(0, ns.eps, 2 / ns.lambda_max)
    ns = get_part("optim.gd_optimal_step").namespace({})
    step, rate = optim.optimal_step(ns)
    assert step == 2 / (ns.lambda_min + ns.lambda_max)
    assert sp.simplify(rate - (ns.lambda_max - ns.lambda_min) / (ns.lambda_max + ns.lambda_min)) == 0
    ns = get_part("optim.adam_bias").namespace({})
    assert sp.simplify(optim.stationary_mean(ns.beta_1, ns.mu).subs(optim.T, ns.t)
                       - (1 - ns.beta_1 ** ns.t) * ns.mu) == 0


def test_figures_draw():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    for part in select(["optim"]):
        for figure in part.figures:
            fig, ax = plt.subplots()
            figure.draw(ax)
            assert ax.lines, figure.name
            plt.close(fig)


# ----------------------------------------------------------------------------- answers
checking = pytest.importorskip("derive.answers.serve.worker")


@pytest.mark.parametrize("part_id, answer, status", [
    ("optim.adam_unroll", "(1-beta_1)*sum(beta_1^(t-i)*g_i, i, 1, t)", "correct"),
    ("optim.adam_unroll", "sum(beta_1^(t-i)*g_i, i, 1, t)", "incorrect"),
    ("optim.adam_bias", r"(1-\beta_1^t)\mathbb{E}[g]", "correct"),
    ("optim.adam_bias", "(1 - beta_1^t)*E[g]", "correct"),
    ("optim.adam_bias", "mu", "incorrect"),
    ("optim.adam_first_step", r"\frac{\alpha(1-\beta_1)}{\sqrt{1-\beta_2}}", "correct"),
    ("optim.adam_first_step", "alpha", "incorrect"),
    ("optim.gd_closed_form", "(I - eps H)^t w_0", "correct"),
    ("optim.gd_closed_form", r"(I - \epsilon H)^{t} w_0", "correct"),
    ("optim.gd_closed_form", "(I - eps H)^(t+1) w_0", "incorrect"),
    ("optim.gd_closed_form", "(1 - eps)^t w_0", "incorrect"),
    ("optim.gd_step_bound", "0 < eps < 2/lambda_max", "correct"),
    ("optim.gd_step_bound", r"0 < \varepsilon < \frac{2}{\lambda_{\max}}", "correct"),
    ("optim.gd_step_bound", "0 < eps*lambda_max < 2", "correct"),
    ("optim.gd_step_bound", "eps < 2/lambda_max", "incorrect"),
    ("optim.gd_step_bound", "0 < eps < 2/(lambda_min + lambda_max)", "incorrect"),
    ("optim.gd_optimal_step", r"\frac{2}{\lambda_{\min} + \lambda_{\max}}", "correct"),
    ("optim.gd_optimal_step", "1/lambda_max", "incorrect"),
    ("optim.newton_step_bound", "0 < eps < 2", "correct"),
    ("optim.newton_step_bound", "0 < eps < 1", "incorrect"),
])
def test_answers(part_id, answer, status):
    verdict = checking.check(part_id, answer)
    assert verdict.status == status, verdict
    if status == "incorrect":
        assert verdict.counterexample, verdict
