"""The one LaTeX printer prints the course's notation."""
import pytest
import sympy as sp

from derive.model.functions import ColumnVector, delta, diag, sigma, softmax
from derive.render.printing import latex

C = sp.Symbol("C", integer=True, positive=True)
s, y, z = (ColumnVector(n, C, 1) for n in "syz")
X = sp.MatrixSymbol("X", sp.Symbol("N"), sp.Symbol("d"))
i, j = sp.symbols("i j", integer=True)
p, t = sp.symbols("p t")


@pytest.mark.parametrize("expr, expected", [
    (diag(s) - s * s.T, r"\operatorname{diag}\left(s\right) - s s^\top"),
    (s - y, "s - y"),
    (s[i] * (delta(i, j) - s[j]), r"s_{i} \left(\delta_{i j} - s_{j}\right)"),
    (sigma(t) * (1 - sigma(t)), r"\sigma\left(t\right) \left(1 - \sigma\left(t\right)\right)"),
    (softmax(z), r"\operatorname{softmax}\left(z\right)"),
    (diag(X.T * X), r"\operatorname{diag}\left(X^\top X\right)"),
    (sp.Transpose(X * sp.MatrixSymbol("W", sp.Symbol("d"), sp.Symbol("d"))), r"\left(X W\right)^\top"),
    (p * (1 - p), r"p \left(1 - p\right)"),
    # SymPy distributes numbers into sums; the printer takes them back out in front
    (2 * s[i] * (s[i] - y[i]), r"2 s_{i} \left(s_{i} - y_{i}\right)"),
    (-4 * sigma(t) * (1 - sigma(t)) ** 2, r"- 4 \sigma\left(t\right) \left(1 - \sigma\left(t\right)\right)^{2}"),
    (2 * (diag(s) - s * s.T) * (s - y),
     r"2 \left(\operatorname{diag}\left(s\right) - s s^\top\right) \left(s - y\right)"),
])
def test_notation(expr, expected):
    assert latex(expr) == expected


def test_identity_leads_and_bounds_read_as_chains():
    n, eps = sp.Symbol("n"), sp.Symbol("epsilon")
    H = sp.MatrixSymbol("H", n, n)
    assert latex(sp.Identity(n) - eps * H) == r"I - \epsilon H"
    lam = sp.Symbol("lambda_max")
    assert latex(sp.And(eps < 2 / lam, 0 < eps)) == r"0 < \epsilon < \frac{2}{\lambda_{\max}}"


def test_declared_names_override_symbol_printing():
    assert latex(sp.Symbol("lambda_max"), names={"lambda_max": r"\lambda_{\max}"}) == r"\lambda_{\max}"
