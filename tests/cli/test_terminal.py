"""The LaTeX derive emits, as Unicode for a terminal: every construct the printer and the
problems use, no backslash or brace left, inline prose without its markup."""
import re

import pytest

from derive import all_parts
from derive.cli.terminal import latex_text, pad, prose_text, width
from derive.render.printing import latex, names_of


@pytest.mark.parametrize("tex, text", [
    (r"\frac{\partial L}{\partial z_j}", "∂L/∂zⱼ"),
    (r"\phantom{\frac{\partial L}{\partial z_j}} = s_j - y_j", "       = sⱼ - yⱼ"),
    (r"\frac{\gamma g_{i}}{\sqrt{\sigma^2 + \epsilon}}", "(γ gᵢ)/√(σ² + ε)"),
    (r"0 < \epsilon \le \frac{2}{\lambda_{\max}}", "0 < ε ≤ 2/λₘₐₓ"),
    (r"K^{2} C_{\mathrm{in}} C_{\mathrm{out}}", "K² Cᵢₙ Cₒᵤₜ"),
    (r"H_{\text{in}} = 3", "Hᵢₙ = 3"),
    (r"\operatorname{diag}(s) - s s^\top", "diag(s) - s sᵀ"),
    (r"\left(\mathbf{1} - o\right) \circ o", "(𝟏 - o) ∘ o"),
    (r"\left\|y - p X w\right\|^{2}", "‖y - p X w‖²"),
    (r"\boxed{E = \frac12 \sum_{i=1}^{n} (o_i - t_i)^2}", "E = ½ Σᵢ₌₁ⁿ (oᵢ - tᵢ)²"),
    (r"\mathbb{E}[P] \quad \text{if } x", "𝔼[P] if x"),
    (r"\hat{x}_i \tilde{w}", "x̂ᵢ w̃"),
    (r"W^{-1} \delta_{i j}", "W⁻¹ δᵢⱼ"),
    (r"c_{y_i}", "c_yᵢ"),
    (r"\sum_{a,i,j} G_{a,f,i,j}", "Σ_(a,i,j) G[a,f,i,j]"),
    (r"\frac{\partial E}{\partial X_{n,c,h,w}}", "∂E/∂X[n,c,h,w]"),
    (r"\sum_{\substack{0 \le a \le B - 1\\ 0 \le i \le H - 1}} G_{a}", "Σ_(0 ≤ a ≤ B - 1, 0 ≤ i ≤ H - 1) Gₐ"),
    (r"\left\lfloor \frac{N + 2P - K}{S} \right\rfloor + 1", "⌊ (N + 2P - K)/S ⌋ + 1"),
    (r"\begin{pmatrix} 1 & 2 \\ 3 & 4 \end{pmatrix}", "(1, 2; 3, 4)"),
    (r"\left[\begin{matrix}0.5 & 0.25\end{matrix}\right]", "[0.5, 0.25]"),
    (r"\left[\begin{matrix}1\\2\end{matrix}\right]", "[1; 2]"),
    (r"\mathbb{R}^{N \times d}", "ℝ^(N × d)"),
    (r"\sigma'(z) \nabla f", "σ′(z) ∇f"),
    (r"\unknowncommand{x}", "unknowncommandx"),
])
def test_latex_reads_as_unicode(tex, text):
    assert latex_text(tex) == text


def test_a_phantom_keeps_a_chain_of_equalities_aligned():
    first, second = latex_text(r"J = a + b"), latex_text(r"\phantom{J} = c")
    assert first.index("=") == second.index("=")


LEFT_OVER = re.compile(r"\\|\$|[_^]\{")   # a command, a dollar, or a script's raw group


def test_every_result_the_printer_makes_leaves_no_latex():
    """Every part's closed form as the sheets print it: no command, dollar or raw group left
    (a brace of a set, {0, …, N - 1}, is the set's own)."""
    for part in all_parts():
        try:
            tex = latex(part.result(part.general), names_of(part.variables))
        except Exception:   # index-notation results print through their own formula
            continue
        shown = latex_text(f"{part.result_lhs} = {tex}")
        assert not LEFT_OVER.search(shown), (part.id, shown)


def test_prose_loses_its_markup():
    text = prose_text(r"Method: ``jax.grad`` in **float64**, see `derive check`, with $i = (0.05, 0.15)$"
                      r" and a literal \$5")
    assert text == "Method: jax.grad in float64, see derive check, with i = (0.05, 0.15) and a literal $5"


def test_width_counts_columns_not_code_points():
    assert width("x̂ᵢ") == 2 and pad("x̂", 3) == "x̂  " and pad("x̂", 3, left=False) == "  x̂"
