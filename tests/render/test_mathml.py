"""LaTeX to MathML: valid XML, with the TeX conventions a browser cannot infer."""
import xml.etree.ElementTree as ET

import pytest

from derive.render.mathml import relax_fences, to_mathml

NS = "{http://www.w3.org/1998/Math/MathML}"


def tree(tex, display=False):
    out = to_mathml(tex, display)
    assert out is not None, tex
    return ET.fromstring(out)


def tags(root):
    return [e.tag.replace(NS, "") for e in root.iter()]


@pytest.mark.parametrize("tex, plain", [
    (r"\operatorname{diag}\left(s\right)", r"\operatorname{diag}(s)"),
    (r"\left(\sum_{k=1}^{C} e^{z_k}\right)^{2}", r"\left(\sum_{k=1}^{C} e^{z_k}\right)^{2}"),
    (r"s_{i} \left(\delta_{i j} - s_{j}\right)", r"s_{i} (\delta_{i j} - s_{j})"),
    (r"\left(\frac{1}{4}\right)^{L} \left|w\right|", r"\left(\frac{1}{4}\right)^{L} |w|"),
])
def test_only_fences_around_tall_content_stretch(tex, plain):
    assert relax_fences(tex) == plain


def test_operator_names_are_identifiers_applied_to_their_argument():
    root = tree(r"\operatorname{diag}\left(s\right) - s s^\top")
    names = [e for e in root.iter(f"{NS}mi") if e.text == "diag"]
    assert names and "\u2061" in [e.text for e in root.iter(f"{NS}mo")]


def test_limits_go_under_and_signs_are_unary():
    root = tree(r"\lim_{d \to -\infty} \frac{\partial L}{\partial z_1} = -1", display=True)
    assert tags(root).count("munder") == 1 and "msub" not in tags(root)[:4]
    lim = next(e for e in root.iter(f"{NS}mo") if e.text == "lim")
    assert lim.get("movablelimits") == "true"
    minus = [e for e in root.iter(f"{NS}mo") if e.text == "\u2212"]
    assert len(minus) == 2 and all(e.get("form") == "prefix" for e in minus)
    assert {e.text for e in root.iter(f"{NS}mi")} >= {"\u221e", "\u2202"}


def test_a_binary_minus_stays_binary():
    root = tree(r"a - b")
    assert next(e for e in root.iter(f"{NS}mo") if e.text == "\u2212").get("form") is None


@pytest.mark.parametrize("tex", [r"\sigma'(z)", r"\tanh'(z)", r"\operatorname{relu}'(z)"])
def test_primes_sit_beside_not_above(tex):
    root = tree(tex)
    assert "msup" not in tags(root)
    assert any(e.text == "\u2032" for e in root.iter(f"{NS}mo"))


def test_function_names_get_a_thin_space_before_a_bare_argument():
    assert "mspace" in tags(tree(r"\tanh z"))
    assert "mspace" not in tags(tree(r"\tanh(z)"))


@pytest.mark.parametrize("tex", [r"\frac{", r"x^", r"\begin{matrix}"])
def test_unreadable_latex_gives_none(tex):
    assert to_mathml(tex) is None


@pytest.mark.parametrize("tex", [r"1 - \tanh^{2}{\left(z \right)}", r"\tanh^{2} z", r"\cosh^{2}(z)", r"\log_2 x"])
def test_a_function_power_keeps_two_script_children(tex):
    root = tree(tex)
    for script in [e for e in root.iter() if e.tag.replace(NS, "") in ("msup", "msub")]:
        assert len(script) == 2, ET.tostring(script, encoding="unicode")
    if tex == r"\tanh^{2} z":   # the thin space goes after the script, before the argument
        row = next(e for e in root.iter() if any(c.tag == f"{NS}msup" for c in e))
        kinds = [c.tag.replace(NS, "") for c in row]
        assert kinds[kinds.index("msup") + 1] == "mspace"


def test_a_bold_symbol_is_a_bold_code_point_chromium_can_show():
    # Chromium's MathML Core ignores mathvariant="bold"; the bold 1 must survive without it.
    out = to_mathml(r"\operatorname{softmax}(z + c\mathbf{1})")
    assert "\U0001D7CF" in out and 'mathvariant="bold"' not in out
    assert "\U0001D431" in to_mathml(r"\mathbf{x}")
