"""Checking answers against registered parts: correct answers in many spellings, wrong
answers with the slip they show, invalid and hostile input, the hard time limit, and the
``derive check`` command's output and exit status."""
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from derive import all_parts, get_part
from derive.model.verdict import CORRECT, INCORRECT, INVALID, UNDECIDED, Diagnosis, Verdict
from derive.answers.serve.worker import check
from derive.cli.main import main
from derive.errors import UnknownPart

REGISTERED = {p.id for p in all_parts()}


def needs(part_id):
    return pytest.mark.skipif(part_id not in REGISTERED, reason=f"{part_id} is not registered yet")


def case(part_id, *rest):
    return pytest.param(part_id, *rest, marks=needs(part_id), id=f"{part_id}:{rest[0]}")


CORRECT_ANSWERS = [
    case("softmax.ce_grad", "s - y"),
    case("softmax.ce_grad", "yhat - y"),
    case("softmax.ce_grad", r"\hat{y} - y"),
    case("softmax.ce_grad", "softmax(z) - y"),
    case("softmax.ce_grad", r"\operatorname{softmax}(z) - y"),
    case("softmax.ce_grad", "-(y - s)"),
    case("softmax.ce_grad", "s sum(y) - y"),          # equal on the domain: sum y = 1
    case("softmax.ce_grad", "exp(z)/sum(exp(z)) - y"),
    case("softmax.jacobian", "diag(s) - s s^T"),
    case("softmax.jacobian", "diag(s) - s*s^T"),
    case("softmax.jacobian", "diag(s) - s @ s.T"),
    case("softmax.jacobian", r"\operatorname{diag}(s) - s s^\top"),
    case("softmax.jacobian", "s_i(delta_ij - s_j)"),
    case("softmax.jacobian", r"s_i(\delta_{ij} - s_j)"),
    case("softmax.jacobian", r"\hat{y}_i\left(\delta_{ij} - \hat{y}_j\right)"),
    case("softmax.jacobian", "diag(s) - s s' + 0*I"),
    case("softmax.mse_grad", "2*(diag(s) - s*s^T)(s - y)"),
    case("softmax.mse_grad", "2 (diag(s) - s s^T)(s - y)"),
    case("softmax.mse_grad", "2 s_j ((s_j - y_j) - sum_m s_m (s_m - y_m))"),
    case("softmax.mse_grad", r"2 s_j \left((s_j - y_j) - \sum_{m=1}^{C} s_m (s_m - y_m)\right)"),
    case("softmax.mse_grad", "2 s odot (s - y) - 2 s s^T (s - y)"),
    case("softmax.ce_vs_mse", "0"),
    case("softmax.two_class", "sigma(z_1 - z_2)"),
    case("softmax.two_class", r"\sigma(z_1 - z_2)"),
    case("softmax.two_class", "1/(1 + exp(z_2 - z_1))"),
    case("softmax.two_class", "exp(z_1)/(exp(z_1) + exp(z_2))"),
    case("activation.sigmoid_grad", "sigma(z)*(1 - sigma(z))"),
    case("activation.sigmoid_grad", r"\sigma(z)\left(1-\sigma(z)\right)"),
    case("activation.sigmoid_grad", "sigma(z) - sigma(z)^2"),
    case("activation.sigmoid_grad", r"\sigma(z) - \sigma^2(z)"),
    case("activation.sigmoid_grad", "exp(-z)/(1+exp(-z))^2"),
    case("activation.sigmoid_grad", r"\frac{e^{z}}{(1+e^{z})^2}"),
    case("activation.tanh_grad", "1 - tanh(z)^2"),
    case("activation.tanh_grad", r"1-\tanh^2(z)"),
    case("activation.tanh_grad", "4 sigma(2z)(1 - sigma(2z))"),
    case("activation.tanh_sigmoid", "2 sigma(2z) - 1"),
    case("activation.tanh_sigmoid", r"2\sigma(2z)-1"),
    case("activation.relu_grad", "heaviside(z)"),
    case("activation.relu_grad", "step(z)"),
    case("activation.relu_grad", "(1 + sign(z))/2"),
    case("activation.sigmoid_grad_max", "1/4"),
    case("activation.sigmoid_grad_max", "0.25"),
    case("activation.sigmoid_grad_max", r"\frac{1}{4}"),
    case("dropout.mask_mean", "p X"),
    case("dropout.mask_mean", "pX"),
    case("dropout.mask_gram", "p^2 X^T X + p(1-p) diag(X^T X)"),
    case("dropout.mask_gram", r"p^2 X^\top X + p(1-p)\,\mathrm{diag}(X^\top X)"),
    case("dropout.unit_regulariser", r"\frac{1}{2}\sum_{i=1}^{n} p_i(1-p_i) w_i^2 x_i^2"),
    case("dropout.unit_regulariser", "1/2*sum(p_i*(1-p_i)*w_i^2*x_i^2, i, 1, n)"),
    case("dropout.unit_grad", "w_i p_i (1-p_i) x_i^2"),
    case("optim.gd_step_bound", "0 < eps < 2/lambda_max"),
    case("optim.gd_step_bound", r"0 < \epsilon < \frac{2}{\lambda_{\max}}"),
    case("optim.gd_optimal_step", r"\frac{2}{\lambda_{\min}+\lambda_{\max}}"),
    case("optim.adam_bias", r"(1-\beta_1^t)\mathbb{E}[g]"),
    case("optim.adam_bias", r"\left(1-\beta_{1}^{t}\right)\mathbb{E}[g_t]"),
    case("optim.adam_bias", "(1 - beta_1^t) mu"),
    case("optim.adam_unroll", r"(1-\beta_1)\sum_{i=1}^{t} \beta_1^{t-i} g_i"),
    case("optim.adam_unroll", "(1-beta_1)*sum(beta_1^(t-i)*g_i, i, 1, t)"),
    case("optim.adam_first_step", r"\alpha (1-\beta_1)/\sqrt{1-\beta_2}"),
    case("optim.newton_step_bound", "0 < eps < 2"),
    case("optim.newton_step_bound", r"2 > \varepsilon > 0"),
]


@pytest.mark.parametrize("part_id,answer", CORRECT_ANSWERS)
def test_correct_answers_are_accepted(part_id, answer):
    verdict = check(part_id, answer, timeout=None)
    assert verdict.status == CORRECT, verdict
    assert verdict.method in ("proved", "tested") and verdict.points > 0
    assert verdict.counterexample is None and verdict.diagnosis is None


# (part, wrong answer, expected diagnosis kind or None when no simple slip fits)
WRONG_ANSWERS = [
    case("softmax.ce_grad", "y - s", "sign"),
    case("softmax.ce_grad", "2*(s - y)", "factor"),
    case("softmax.ce_grad", "(s - y)/2", "factor"),
    case("softmax.ce_grad", "s^T - y^T", "transpose"),
    case("softmax.ce_grad", "s", "missing term"),
    case("softmax.ce_grad", "-y", "missing term"),
    case("softmax.ce_grad", "s + y", "term sign"),
    case("softmax.ce_grad", "s - y + s", "extra term"),
    case("softmax.ce_grad", "C (s - y)", "extra factor"),
    case("softmax.ce_grad", "s_i - 1", "constraint"),          # used y_i = 1 for every i
    case("softmax.mse_grad", "2 s_j ((s_j - 1) - sum_m s_m (s_m - y_m))", "constraint"),
    case("softmax.jacobian", "s s^T - diag(s)", "sign"),
    case("softmax.jacobian", "diag(s) + s s^T", "term sign"),
    case("softmax.jacobian", "diag(s)", "missing term"),
    case("softmax.jacobian", "diag(s) - s s^T - s s^T", "extra term"),
    case("softmax.jacobian", "diag(s) - 3 s s^T", "term factor"),
    case("softmax.jacobian", "diag(s) - s s^T + diag(s)", "extra term"),
    case("softmax.jacobian", "s", "shape"),
    case("softmax.jacobian", "s_i delta_ij", "missing term"),
    case("softmax.mse_grad", "s - y", "neighbour"),
    case("softmax.mse_grad", "(diag(s) - s s^T)(s - y)", "factor"),
    case("softmax.mse_grad", "2 (diag(s) - s s^T)(y - s)", "sign"),
    case("softmax.two_class", "sigma(z_2 - z_1)", None),
    case("softmax.ce_vs_mse", "-1", None),
    case("activation.sigmoid_grad", "-sigma(z)*(1 - sigma(z))", "sign"),
    case("activation.sigmoid_grad", "sigma(z)*(1 + sigma(z))", None),
    case("activation.sigmoid_grad", "sigma(z) + sigma(z)^2", "term sign"),
    case("activation.tanh_grad", "1 + tanh(z)^2", "term sign"),
    case("activation.tanh_grad", "2 - 2 tanh(z)^2", "factor"),
    case("activation.tanh_grad", "sigma(z)*(1 - sigma(z))", "neighbour"),
    case("activation.sigmoid_grad_max", "1/2", "factor"),
    case("activation.sigmoid_grad", "sigma(z)", "missing factor"),
    case("optim.adam_bias", "E[g]", "missing factor"),
    case("optim.adam_bias", "(1 + beta_1^t) mu", None),
    case("optim.adam_unroll", r"\sum_{i=1}^{t} \beta_1^{t-i} g_i", "missing factor"),
    case("optim.adam_unroll", r"(1-\beta_1)\sum_{i=1}^{t} \beta_1^{i} g_i", None),
    case("optim.gd_optimal_step", "1/(lambda_min + lambda_max)", "factor"),
    case("optim.newton_step_bound", "0 < eps < 1", "constraint"),
    case("activation.relu_grad", "1", None),
    case("dropout.mask_gram", "p X^T X + p(1-p) diag(X^T X)", None),
    case("dropout.mask_gram", "p^2 X^T X", "missing term"),
    case("dropout.mask_mean", "p^2 X", "extra factor"),
    case("optim.gd_step_bound", "eps < 2/lambda_max", "constraint"),
    case("optim.gd_step_bound", "0 < eps < 1/lambda_max", "constraint"),
]


@pytest.mark.parametrize("part_id,answer,kind", WRONG_ANSWERS)
def test_wrong_answers_get_a_counterexample_and_the_slip(part_id, answer, kind):
    verdict = check(part_id, answer, timeout=None)
    assert verdict.status == INCORRECT, verdict
    # A slip the part declares (Part.slips) takes precedence over the generic kinds.
    declared = {Diagnosis("slip", s.why) for s in get_part(part_id).slips}
    assert verdict.diagnosis_kind == kind or verdict.diagnosis in declared, verdict.diagnosis
    ce = verdict.counterexample
    assert ce and "answer" in ce and "expected" in ce and ce["answer"] != ce["expected"], ce
    assert verdict.parsed


def test_counterexample_uses_the_spellings_the_user_typed():
    verdict = check("softmax.ce_grad", "y - yhat", timeout=None)
    assert set(verdict.counterexample["values"]) == {"y", "yhat"}
    verdict = check("softmax.jacobian", r"\hat{y}_i\left(\delta_{ij} + \hat{y}_j\right)", timeout=None)
    assert r"\hat{y}" in verdict.counterexample["values"]


INVALID_ANSWERS = [
    ("softmax.ce_grad", "s s", 2),
    ("softmax.jacobian", "diag(s) - 1", 8),
    ("softmax.ce_grad", "q - y", 0),
    ("softmax.ce_grad", "s - y)", 5),
    ("activation.sigmoid_grad", "__import__('os').system('ls')", 16),
    ("activation.sigmoid_grad", "().__class__.__bases__", 2),
    ("activation.sigmoid_grad", "9^9^9^9", 4),
    ("activation.sigmoid_grad", "z!!!!", 1),
    ("activation.sigmoid_grad", "(" * 100 + "z" + ")" * 100, 30),
    ("activation.sigmoid_grad", "z" * 5000, 0),
]


@pytest.mark.parametrize("part_id,answer,column", INVALID_ANSWERS, ids=[a[:30] for _, a, _ in INVALID_ANSWERS])
def test_invalid_answers_are_invalid_with_a_position(part_id, answer, column):
    verdict = check(part_id, answer, timeout=None)
    assert verdict.status == INVALID, verdict
    assert verdict.position == column, verdict.message
    assert verdict.message


def test_unknown_part_is_a_derive_error_listing_parts():
    with pytest.raises(UnknownPart, match="softmax.ce_grad"):
        check("softmax.nope", "s - y")


def test_same_seed_same_verdict_and_verdict_is_frozen():
    a = check("softmax.jacobian", "diag(s)", seed=3, timeout=None)
    b = check("softmax.jacobian", "diag(s)", seed=3, timeout=None)
    assert a == b
    with pytest.raises(AttributeError):
        a.status = CORRECT


@pytest.mark.slow
def test_worker_enforces_the_hard_time_limit_and_recovers(monkeypatch):
    import time
    from derive.answers.serve import worker as checking
    # The worker is forked, so it inherits a judge that hangs; the caller must not.
    checking._POOL.stop()
    monkeypatch.setattr(checking, "judge", lambda *a, **k: time.sleep(60))
    started = time.monotonic()
    verdict = check("activation.sigmoid_grad", "sigma(z)*(1-sigma(z))", timeout=1.0)
    assert verdict.status == UNDECIDED and "longer than 1 s" in verdict.message
    assert time.monotonic() - started < 10
    monkeypatch.undo()
    checking._POOL.stop()
    assert check("activation.sigmoid_grad", "sigma(z)*(1-sigma(z))", timeout=30).status == CORRECT


@pytest.mark.slow
@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(list("syz()+-*/^_ijT'0123\\{}|") + ["diag", "sum", "delta",
                                                                    "sigma", "yhat", " "]),
                max_size=30).map("".join))
def test_fuzz_check_never_raises_and_always_decides_a_status(text):
    verdict = check("softmax.jacobian", text, timeout=5)
    assert isinstance(verdict, Verdict)
    assert verdict.status in (CORRECT, INCORRECT, INVALID, UNDECIDED)
    assert not verdict.message.startswith("the checker failed"), verdict


# --------------------------------------------------------------------------- CLI
def run_cli(capsys, *argv):
    status = main(list(argv))
    out = capsys.readouterr()
    return status, out.out, out.err


def test_cli_check_json_for_a_sign_slip(capsys):
    status, out, _ = run_cli(capsys, "check", "softmax.ce_grad", "y - s", "--json")
    data = json.loads(out)
    assert status == 1
    assert data["status"] == "incorrect" and data["part"] == "softmax.ce_grad"
    diagnosis = data["diagnosis"]   # an object: {"kind": ..., "detail": ...}
    assert set(diagnosis) == {"kind", "detail"}
    assert diagnosis["kind"] == "sign" or (diagnosis["kind"], diagnosis["detail"][:8]) == ("slip", "the sign")
    assert data["counterexample"]["values"]
    assert "expected" not in data  # only with --reveal


def test_cli_exit_statuses_and_reveal(capsys):
    status, out, _ = run_cli(capsys, "check", "softmax.ce_grad", r"\hat{y} - y", "--reveal")
    assert status == 0 and out.startswith("correct") and "expected:" in out
    status, out, _ = run_cli(capsys, "check", "softmax.ce_grad", "s s", "--json")
    assert status == 2 and json.loads(out)["status"] == "invalid"
    status, out, _ = run_cli(capsys, "check", "nope.part", "s", "--json")
    assert status == 2 and "unknown part" in json.loads(out)["message"]
    status, _, err = run_cli(capsys, "check", "nope.part", "s")
    assert status == 2 and "unknown part" in err
    status, out, _ = run_cli(capsys, "check", "softmax.ce_grad", r"\hat{y} - y", "--syntax", "text")
    assert status == 2


# --------------------------------------------------------------------------- parts declared here
# Small parts in the shapes other families use (matrices, per-unit vectors, a step-size
# condition, an expectation spelled E[g]), so the checker is exercised before they land.
import sympy as sp  # noqa: E402

from derive import Derivation, Part, Sheet, Variable  # noqa: E402
from derive.answers.decide.judge import judge  # noqa: E402
from derive.model.domains import POSITIVE, UNIT_INTERVAL  # noqa: E402
from derive.model.functions import diag  # noqa: E402


def local_part(pid, variables, result, sizes=None):
    return Part(f"local.{pid}", pid, Sheet(pid), Derivation(derive=result, result=result, result_lhs=pid,
                                                        variables=variables, sizes=sizes or {}))


GRAM = local_part("gram", (Variable("X", ("N", "d")), Variable("p", (), UNIT_INTERVAL)),
                  lambda v: v.p ** 2 * v.X.T * v.X + v.p * (1 - v.p) * diag(v.X.T * v.X),
                  {"N": range(2, 5), "d": range(2, 4)})
UNIT = local_part("unit", (Variable("w", ("n",)), Variable("x", ("n",)), Variable("p", ("n",), UNIT_INTERVAL)),
                  # entrywise products, so the closed form exists with n symbolic too
                  lambda v: sp.hadamard_product(v.w, v.p, v.x, v.x) - sp.hadamard_product(v.w, v.p, v.p, v.x, v.x),
                  {"n": range(2, 5)})
BOUND = local_part("bound", (Variable("eps"), Variable("lambda_max", (), POSITIVE)),
                   lambda v: sp.And(sp.StrictLessThan(0, v.eps), sp.StrictLessThan(v.eps, 2 / v.lambda_max)))
ADAM = local_part("adam", (Variable("beta_1", (), UNIT_INTERVAL, (r"\beta_1",)), Variable("t", (), POSITIVE),
                           Variable("Eg", (), spellings=("E[g]", r"\mathbb{E}[g]", r"\mathbb{E}[g_t]", "mu"))),
                  lambda v: (1 - v.beta_1 ** v.t) * v.Eg)

LOCAL = [
    (GRAM, "p^2 X^T X + p(1-p) diag(X^T X)", "correct", None),
    (GRAM, r"p^2 X^\top X + p(1-p)\,\mathrm{diag}(X^\top X)", "correct", None),
    (GRAM, "p^2 X^T X + p diag(X^T X) - p^2 diag(X^TX)", "correct", None),
    (GRAM, "p^2 X^T X", "incorrect", "missing term"),
    (GRAM, "p X^T X + p(1-p) diag(X^T X)", "incorrect", None),
    (GRAM, "p^2 X X^T + p(1-p) diag(X X^T)", "incorrect", "shape"),
    (GRAM, "X^T X", "incorrect", None),
    (GRAM, "p^2 X^T X + p(1-p) diag(X)", "invalid", None),
    (UNIT, "w_i p_i (1-p_i) x_i^2", "correct", None),
    (UNIT, "w_ip_i(1-p_i)x_i^2", "correct", None),
    (UNIT, "w odot p odot x odot x - w odot p odot p odot x odot x", "correct", None),
    (UNIT, "w odot p odot (1 - p) odot x odot x", "correct", None),   # 1 - p is entrywise
    (UNIT, "w_i p_i (1-p_i) x_i", "incorrect", None),
    (UNIT, "-w_i p_i (1-p_i) x_i^2", "incorrect", "sign"),
    (BOUND, "0 < eps < 2/lambda_max", "correct", None),
    (BOUND, r"0 < \epsilon < \frac{2}{\lambda_{\max}}", "correct", None),
    (BOUND, "2/lambda_max > eps > 0", "correct", None),
    (BOUND, "eps < 2/lambda_max", "incorrect", "constraint"),
    (BOUND, "0 < eps < 1/lambda_max", "incorrect", "constraint"),
    (BOUND, "0 < eps < 4/lambda_max", "incorrect", "constraint"),
    (BOUND, "2/lambda_max", "incorrect", "shape"),
    (ADAM, r"(1-\beta_1^t)\mathbb{E}[g]", "correct", None),
    (ADAM, r"\left(1-\beta_{1}^{t}\right)\mathbb{E}[g_t]", "correct", None),
    (ADAM, "(1 - beta_1^t) mu", "correct", None),
    (ADAM, "(1 - beta_1)^t E[g]", "incorrect", None),
    (ADAM, "(1 + beta_1^t) E[g]", "incorrect", None),
]


@pytest.mark.parametrize("part,answer,status,kind", LOCAL, ids=[f"{p.id}:{a}" for p, a, _, _ in LOCAL])
def test_matrix_vector_condition_and_expectation_answers(part, answer, status, kind):
    verdict = judge(part, answer)
    assert verdict.status == status, verdict
    assert verdict.diagnosis_kind == kind, verdict.diagnosis
    if status == "incorrect" and part is not BOUND or kind == "constraint":
        assert verdict.counterexample


ANSWER_PARTS = [p for p in all_parts() if p.answer]


@pytest.mark.parametrize("part", ANSWER_PARTS, ids=[p.id for p in ANSWER_PARTS])
def test_every_answer_part_accepts_its_own_result_printed_in_latex(part):
    """Generic: the expected result, printed by the project's LaTeX printer, is parsed back
    and judged correct; so every part with declared variables can be checked."""
    from derive.answers.decide.judge import expected_latex
    tex = expected_latex(part)
    verdict = check(part.id, tex, timeout=None)
    assert verdict.status == CORRECT, (tex, verdict.message)


def test_plain_text_double_bars_are_a_norm():
    from derive.answers.serve.worker import check as check_answer
    right = check_answer("dropout.expected_loss", "||y - p X w||^2 + p(1-p) w^T diag(X^T X) w", timeout=None)
    wrong = check_answer("dropout.expected_loss", "||y - p X w||^2 + (1-p)^2 w^T diag(X^T X) w", timeout=None)
    assert right.status == "correct", right.message
    assert wrong.status == "incorrect" and wrong.counterexample is not None
