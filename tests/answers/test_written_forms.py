"""What written solutions write (issue 20, item 4): each right answer that used to be turned
away is read and comes back correct, each wrong one incorrect, and no crash inside the
checker ever becomes the verdict's message."""
import logging

import pytest

import derive
from derive.answers.serve import worker
from derive.model.verdict import UNDECIDED

# (part, answer, status); a correct one is proved for every size (sums in one normal form).
PART_ANSWERS = [
    # a size as a position (the last entry), a sum split off its first entry, entries read
    # backwards, and their wrong neighbours
    ("batchnorm.grad_beta", r"\sum_{i=1}^{m-1} g_i + g_m", "correct"),
    ("batchnorm.grad_beta", r"g_1 + \sum_{i=2}^{m} g_i", "correct"),
    ("batchnorm.grad_beta", r"\sum_{i=1}^{m} g_{m+1-i}", "correct"),
    ("batchnorm.grad_beta", r"\sum_{i=1}^{m-1} g_i + g_{m-1}", "incorrect"),
    ("batchnorm.grad_beta", r"g_2 + \sum_{i=2}^{m} g_i", "incorrect"),
    ("optim.adam_unroll", r"(1-\beta_1)\sum_{i=0}^{t-1} \beta_1^{i} g_{t-i}", "correct"),
    ("optim.adam_unroll", r"(1-\beta_1)\sum_{i=1}^{t} \beta_1^{i} g_{t+1-i}", "incorrect"),
    # index shifts in a plain answer's subscripts
    ("batchnorm.grad_beta", r"\sum_{i=0}^{m-1} g_{i+1}", "correct"),
    ("batchnorm.grad_beta", "sum(g_(i+1), i, 0, m-1)", "correct"),
    ("batchnorm.grad_beta", r"\sum_{i=2}^{m+1} g_{i-1}", "correct"),
    ("batchnorm.grad_beta", r"\sum_{i=0}^{m-2} g_{i+1}", "incorrect"),
    ("batchnorm.grad_x", r"\frac{\gamma}{\sqrt{\sigma^2+\epsilon}}\left(g_i - \frac{1}{m}"
     r"\sum_{j=0}^{m-1} g_{j+1} - \frac{\hat{x}_i}{m}\sum_{j=1}^{m} g_j \hat{x}_j\right)", "correct"),
    # the transpose in any font
    ("backprop.center_linear", r"W^{\mathsf{T}}(x_i - c_{y_i})", "correct"),
    ("backprop.center_linear", r"W^{\mathrm{T}}(x_i - c_{y_i})", "correct"),
    ("backprop.center_linear", r"W^{\mathsf{T}}(c_{y_i} - x_i)", "incorrect"),
    # a function's bare \frac argument
    ("softmax.logistic", r"\ln\frac{e^{b_1}}{e^{b_2}}", "correct"),
    ("softmax.logistic", r"\ln\frac{e^{b_2}}{e^{b_1}}", "incorrect"),
    # a label's Kronecker delta; wrong sums and a dropped 1 + refuted, never a crash
    ("backprop.center_update",
     r"\frac{\sum_{i=1}^{m} \delta_{y_i,j} (c_j - x_i)}{1 + \sum_{i=1}^{m} \delta_{y_i,j}}", "correct"),
    ("backprop.center_update",
     r"\frac{\sum_{i=1}^{m-1} [y_i = j] (c_j - x_i)}{1 + \sum_{i=1}^{m-1} [y_i = j]}", "incorrect"),
    ("backprop.center_update",
     r"\frac{\sum_{i=1}^{m} [y_i = j] (c_j - x_i)}{\sum_{i=1}^{m} [y_i = j]}", "incorrect"),
    # crashes that used to be the message
    ("activation.sigmoid_grad", "floor(sigma(z) + 0.0001)", "incorrect"),
    ("activation.sigmoid_grad", "exp(exp(exp(exp(exp(z)))))", "incorrect"),
    # written-solution LaTeX against a part
    ("activation.sigmoid_grad", r"\boxed{\sigma(z)(1-\sigma(z))}", "correct"),
]

# (expected, answer, status) through derive.equivalent
EXPRESSIONS = [
    # symbolic factorials and binomials, decided by SymPy (Gamma's identities)
    ("(n+1)*n!", "(n+1)!", "correct"),
    ("(n+1)!", "(n+1)*factorial(n)", "correct"),
    ("n!/(k!*(n-k)!)", "binomial(n, k)", "correct"),
    ("binomial(n, k) + binomial(n, k+1)", "binomial(n+1, k+1)", "correct"),
    # ... though the quotient is undefined where n - k is a negative whole number and binomial
    # is not (0): points of measure zero, and the identity is proved (Gamma's identities).
    (r"\binom{n}{k}", r"\frac{n!}{k!\,(n-k)!}", "correct"),
    ("x*(x-1)/2", "binomial(x, 2)", "correct"),        # of a symbol, no longer refused
    ("(n+1)!", "n*n!", "incorrect"),
    ("binomial(n, k)", "n!/(k!*(n-k+1)!)", "incorrect"),
    ("x", "x!", "incorrect"),
    ("sum(x^i/factorial(i), i, 0, 30)", "sum(x^i/factorial(i), i, 0, 30)", "correct"),
    ("sum(x^i/factorial(i), i, 0, 30)", "sum(x^i/factorial(i), i, 0, 29)", "incorrect"),
    # LaTeX of written solutions
    ("sqrt(3)", r"\sqrt3", "correct"),
    ("sqrt(3)*x", r"\sqrt3 x", "correct"),
    ("1/(1+1/x)", r"\cfrac{1}{1+\cfrac{1}{x}}", "correct"),
    ("x+1", r"\boxed{x+1}", "correct"),
    ("x", r"\sqrt{x}^2", "incorrect"),                  # undefined for x < 0, as sqrt(x)^2
    ("x^2", r"\sqrt{x^2}^2", "correct"),
    ("a^2/b^2", r"\frac{a}{b}^2", "correct"),           # a command's braces are its argument's
    ("exp(x+1)*y_1", r"e^{x + 1} {y}_{1}", "correct"),   # ... SymPy's {y}_{1} is still an entry
    ("[[a, b]]^T", r"\begin{pmatrix} a \\ b \end{pmatrix}", "correct"),
    ("[[a, b]]^T", r"\begin{pmatrix} a \\ b \\ \end{pmatrix}", "correct"),
    ("[[a, b]]^T", r"\begin{pmatrix} b \\ a \end{pmatrix}", "incorrect"),
    ("[[a, b], [c, d]]", r"\begin{pmatrix} a & b \\ c & d \\ \end{pmatrix}", "correct"),
    ("x*10^(-300)", r"x \cdot 10^{-300}", "correct"),
    ("10^(-300)", r"10^{-300}", "correct"),
    # Iverson brackets with an order
    ("Heaviside(x)", "[x > 0]", "correct"),           # equal but at x = 0, a single point
    ("1 - Heaviside(x)", "[x < 0]", "correct"),
    ("Heaviside(x)", r"\left[x \ge 0\right]", "correct"),
    ("Heaviside(x)", "[x < 0]", "incorrect"),
    ("x*Heaviside(x - 1)", "x [x > 1]", "correct"),
    ("x*Heaviside(x - 1)", "x [x > 2]", "incorrect"),
]


@pytest.mark.parametrize("part, answer, status", PART_ANSWERS)
def test_written_answers_to_parts(part, answer, status):
    verdict = derive.check(part, answer)
    assert verdict.status == status, (answer, verdict.message)
    assert "could not decide" not in verdict.message and "Error" not in verdict.message
    if status == "correct":
        assert verdict.evidence.startswith("proved"), verdict.evidence


@pytest.mark.parametrize("expected, answer, status", EXPRESSIONS)
def test_written_expressions(expected, answer, status):
    verdict = derive.equivalent(expected, answer)
    assert verdict.status == status, (expected, answer, verdict.message)


@pytest.mark.parametrize("answer, printed", [
    (r"\sum_{i=0}^{m-1} g_{i+1}", r"\sum_{i=0}^{m - 1} g_{i + 1}"),
    (r"W^{\mathsf{T}}(x_i - c_{y_i})", r"W^\top \left(x_i - c_{y_i}\right)"),
])
def test_what_was_understood_reads_back(answer, printed):
    part = "batchnorm.grad_beta" if "g_" in answer else "backprop.center_linear"
    assert derive.check(part, answer).parsed == printed


@pytest.mark.parametrize("answer, words", [
    ("g_{i+1}", "needs a sum over i"),                 # a shift names no range by itself
])
def test_a_shift_without_a_sum_is_invalid(answer, words):
    verdict = derive.check("batchnorm.grad_beta", answer)
    assert verdict.status == "invalid" and words in verdict.message


def test_a_double_factorial_is_refused():
    verdict = derive.equivalent("x", "x!!")
    assert verdict.status == "invalid" and "double factorials" in verdict.message


def test_a_crash_in_the_checker_is_logged_and_undecided(caplog):
    def crashing():
        raise TypeError("only 0-dimensional arrays can be converted to Python scalars")

    with caplog.at_level(logging.ERROR, logger=worker.__name__):
        verdict = worker.answered(crashing, "batchnorm.grad_beta")
    assert verdict.status == UNDECIDED
    assert verdict.message == "the checker could not decide"
    assert "TypeError" not in verdict.message
    assert any("TypeError" in (r.exc_text or "") or r.exc_info for r in caplog.records)


def test_any_unexpected_error_is_undecided():
    """Whatever a bug raises (here a KeyError), the verdict never carries its text."""
    verdict = worker.answered(lambda: {}["missing"], "activation.sigmoid_grad")
    assert (verdict.status, verdict.message) == (UNDECIDED, "the checker could not decide")


def test_an_expected_value_with_no_real_value_is_no_crash():
    # SymPy takes (-8)^(1/3) as its complex principal root; a real evaluation has no value
    # there (as for x^(1/3) at a negative x), so a real answer is defined where it is not.
    verdict = derive.equivalent("(-8)^(1/3)", "-2", timeout=None)
    assert verdict.status == "incorrect" and verdict.counterexample["expected"] == "undefined", verdict
