"""Reading a written solution: displays found, chains cut at top-level relations only,
decorations read past, numbers read as the document writes them, spans into the input."""
import pytest

from derive.answers.read.chains import split_chains
from derive.answers.read.decorations import clean_term, read_numbers
from derive.answers.read.document import find_displays, uses_decimal_commas


def terms(body):
    return [[t.text for t in c.terms] for c in split_chains(body)]


def test_every_kind_of_display_is_found_and_inline_maths_only_with_a_relation():
    doc = (r"Prose $z$ and $y = 2$." "\n" r"$$a = b$$ \[c = d\] \(e = f\)"
           "\n\\begin{align*}g &= h\\end{align*}\n```math\ni = j\n```\n```python\nx = '$k = l$'\n```")
    found = [(d.body.strip(), d.kind) for d in find_displays(doc)]
    assert found == [("y = 2", "inline"), ("a = b", "display"), ("c = d", "display"), ("e = f", "inline"),
                     ("g &= h", "environment"), ("i = j", "display")]


def test_a_display_keeps_the_prose_before_it_and_its_place():
    doc = "Wir berechnen den Gradienten:\n$$L = 1$$"
    (d,) = find_displays(doc)
    assert d.prose == "Wir berechnen den Gradienten:"
    assert doc[d.start:d.end] == "L = 1"


@pytest.mark.parametrize("body, expected", [
    ("a = b = c", [["a", "b", "c"]]),
    (r"a \approx b \le c < d \ge e > f", [["a", "b", "c", "d", "e", "f"]]),
    (r"a \Rightarrow b \implies c \to d \rightarrow e \longrightarrow f \iff g", [list("abcdefg")]),
    (r"a \xrightarrow{n \to \infty} b", [["a", "b"]]),
    # Not at the top level: braces, parentheses, brackets, \left...\right, environments.
    (r"x_{i=1} + \frac{a}{b=c} = [y = j] + f(u = v)", [[r"x_{i=1} + \frac{a}{b=c}", "[y = j] + f(u = v)"]]),
    (r"\left( a = b \right) = c", [[r"\left( a = b \right)", "c"]]),
    (r"\begin{pmatrix} a = 1 \\ b \end{pmatrix} = M", [[r"\begin{pmatrix} a = 1 \\ b \end{pmatrix}", "M"]]),
    # align: & is alignment, \\ ends a line, a line that starts with a relation continues.
    ("a &= b \\\\ &= c \\\\ d &= e", [["a", "b", "c"], ["d", "e"]]),
    # Separators: \quad, \text{prose}, a comma and a space; labels after them are dropped.
    (r"z = wx + b, \quad y = \sigma(z) \quad (3)", [["z", "wx + b"], ["y", r"\sigma(z)"]]),
    (r"a = b \text{ and hence } c = d.", [["a", "b"], ["c", "d"]]),
    (r"a = b \tag{2}", [["a", "b"]]),
    (r"x = 131,072", [["x", "131,072"]]),
    (r"\text{output} = 3", [[r"\text{output}", "3"]]),
])
def test_chains_are_cut_at_top_level_relations(body, expected):
    assert terms(body) == expected


def test_relations_are_named_and_spans_point_into_the_input():
    body = r"\tanh(z) = 2\sigma(2z) - 1 \approx 0.76"
    (chain,) = split_chains(body, offset=100)
    assert [t.relation for t in chain.terms] == [None, "=", "≈"]
    for t in chain.terms:
        assert body[t.start - 100:t.end - 100] == t.text


@pytest.mark.parametrize("written, read", [
    (r"\underbrace{2\sigma(2z)}_{\text{rescaled}} - 1", r"{2\sigma(2z)} - 1"),
    (r"\overbrace{a+b}^{c}", "{a+b}"),
    (r"2 \textcircled{1}", "2"),
    (r"x \tag{3}", "x"),
    (r"\underline{w}^{\mathsf{T}} x", r"{w}^{\top } x"),
    (r"\boldsymbol{w} + \mathbf{x}", r"{w} + {x}"),
    (r"\dfrac{1}{2}", r"\frac{1}{2}"),
    (r"\cancel{x} + 1", "{x} + 1"),
    (r"\overset{!}{x}", "{x}"),
])
def test_decorations_are_read_past(written, read):
    assert clean_term(written).text == read


@pytest.mark.parametrize("written, commas, read", [
    ("131,072", False, "131072"),
    ("1,234,567", False, "1234567"),
    (r"131\,072", False, "131072"),
    ("131 072", False, "131072"),
    ("[0,05, 0,15]", True, "[0.05, 0.15]"),
    ("3,5", True, "3.5"),
    ("3,5", False, "3,5"),        # no thousands group of one digit... and no decimal commas here
    ("0{,}05", False, "0.05"),
    ("0,7311", False, "0.7311"),  # a leading 0 is never a thousands group
    ("(0,1)", False, "(0,1)"),    # but (0,1) may be an interval
])
def test_numbers_are_read_as_the_document_writes_them(written, commas, read):
    assert read_numbers(written, commas) == read


def test_a_document_with_more_decimal_commas_than_points_uses_them():
    assert uses_decimal_commas(r"$$m = 0,1 \cdot 0,5 = 0,05$$ and $$x = 0.5$$")
    assert not uses_decimal_commas(r"$$x = 131,072 = 0.5$$")


@pytest.mark.parametrize("text, commas", [
    (r"Normalisiert: $\hat x_1 \approx -1,342$ und $y_1 = 3,864$.", True),
    (r"Нормированное значение $x = 1,342$.", True),
    (r"The count is $N = 1,342$.", False),
    (r"Die Anzahl ist $N = 1,342,177$.", False),
    (r"Der Wert ist $x = 1,342$ und $y = 0.5$.", False),
])
def test_a_comma_number_that_could_be_either_follows_the_language_of_the_prose(text, commas):
    assert uses_decimal_commas(text) is commas


@pytest.mark.parametrize("written, of, wrt, order", [
    (r"\frac{\partial L}{\partial w}", "L", "w", 1),
    (r"\frac{dL}{dw}", "L", "w", 1),
    (r"\frac{\mathrm{d} L}{\mathrm{d} w}", "L", "w", 1),
    (r"\frac{\partial^2 L}{\partial w^2}", "L", "w", 2),
    (r"\partial E_D / \partial w_{i}", "E_D", "w_{i}", 1),
    (r"\nabla_{w} L", "L", "w", 1),
    (r"\frac{d}{dz}\left(\frac{1}{1+e^{-z}}\right)", r"(\left(\frac{1}{1+e^{-z}}\right))", "z", 1),
    (r"\frac{d}{dz}\tanh(z)", r"(\tanh(z))", "z", 1),
])
def test_derivatives_become_placeholders_with_their_meaning(written, of, wrt, order):
    clean = clean_term(written)
    (d,) = clean.derivatives
    assert (d.of, d.wrt, d.order) == (of, wrt, order)
    assert "Dpartial" in clean.text and "partial}" not in clean.text.replace("Dpartial}", "")


@pytest.mark.parametrize("written, kind, inside", [
    (r"\mathbb{E}[x]", "E", "x"),
    (r"\mathbb{E}\left[\frac{\delta}{p} x\right]", "E", r"\frac{\delta}{p} x"),
    (r"\frac12 \mathbb{E}\Big[\big(t - \delta w x\big)^2\Big]", "E", r"\big(t - \delta w x\big)^2"),
    (r"\operatorname{Var}(\delta_i) w_i^2", "Var", r"\delta_i"),
    (r"E[\delta]", "E", r"\delta"),
])
def test_expectations_and_variances_become_placeholders(written, kind, inside):
    clean = clean_term(written)
    (m,) = clean.moments
    assert (m.kind, m.of) == (kind, inside) and "Dmoment" in clean.text and clean.unjudgeable is None


def test_an_expectation_whose_bracket_never_closes_is_unjudgeable():
    assert clean_term(r"\mathcal{E}_{p} [ \mathbf{p}").unjudgeable


@pytest.mark.parametrize("written", [
    r"\int_0^1 x\,dx", r"\lim_{n \to \infty} a_n",
    r"a_1 + \dots + a_n", r"w^\top x", r"x \in (0, 1)",
])
def test_what_has_no_scalar_meaning_is_marked_unjudgeable(written):
    assert clean_term(written).unjudgeable


def test_plain_terms_are_judgeable():
    assert clean_term(r"\frac{1}{1+e^{-z}} + E_D + \tau^2").unjudgeable is None


@pytest.mark.parametrize("written, lengths, expanded", [
    (r"\sum_{i=1}^{3} x_i^2 + 1", {}, r"\left(x_{1}^2 + x_{2}^2 + x_{3}^2\right)+ 1"),
    (r"\sum_j e^{z_j}", {"z": 3}, r"\left(e^{z_{1}} + e^{z_{2}} + e^{z_{3}}\right)"),
    (r"\sum_{i=1}^{4} i^2", {}, r"\left((1)^2 + (2)^2 + (3)^2 + (4)^2\right)"),
    (r"\frac{1}{2}\sum_{i=1}^{2} (x_i - \mu)^2", {}, r"\frac{1}{2}\left((x_{1} - \mu)^2 + (x_{2} - \mu)^2\right)"),
    (r"\sum_{i=1}^{2}\sum_{j=1}^{2} a_{i} b_{j}", {},
     r"\left(\left(a_{1} b_{1} + a_{1} b_{2}\right) + \left(a_{2} b_{1} + a_{2} b_{2}\right)\right)"),
    # left alone: a range not known, a two-letter subscript with the index
    (r"\sum_{i=1}^{n} x_i", {}, r"\sum_{i=1}^{n} x_i"),
    (r"\sum_j e^{z_j}", {}, r"\sum_j e^{z_j}"),
    (r"\sum_k y_k (\delta_{ki} - s_i)", {"y": 3}, r"\sum_k y_k (\delta_{ki} - s_i)"),
])
def test_sums_with_a_known_range_are_written_out(written, lengths, expanded):
    from derive.answers.read.written_sums import expand_sums
    assert expand_sums(written, lengths) == expanded
