"""Layout a reader sees, measured: in print, table rows holding fractions keep clear of each
other, a long display breaks at body size instead of shrinking, a caption stays on its
figure's page, the batch-norm graph's labels are legible; in HTML a long display wraps
between terms and a closing bracket clears an italic capital."""
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from html import unescape
from pathlib import Path

import pytest
import sympy as sp

from derive import Demonstration, Derivation, Figure, Oracle, Part, Sheet, Variable
from derive.pipeline import finish
from derive.model import domains
from derive.model.registry import Family
from derive.render import writer as render
from derive.render.mathml import display_mathml, split_display, to_mathml
from derive.render.prose import computed_value as _cell, domain_text as _domain_text, for_readers
from derive.render.sheets import Table, _number_tex

sys.path.insert(0, str(Path(__file__).parent))
import pagecheck  # noqa: E402

TEMPLATES = Path(render.TEMPLATES)
DENOMINATORS = [10 ** k for k in range(1, 7)]
FILLER = "Filler text that moves the figure down the page, row by row. "


def _fraction_rows():
    return [(rf"$\epsilon = \frac{{1}}{{{d}}}$", "row") for d in DENOMINATORS]


def _part(n: int) -> Part:
    """A part whose result is a sum of 15 terms (wider than a line), with a table of stacked
    fractions and a figure; part n carries n filler rows, so across the family the figures
    fall at different heights of the page, some at a page foot."""
    return Part(
        f"layout.p{n}", f"Layout probe {n}",
        Sheet(r"Expand $(x + 1)^{14}$. " + FILLER * 2,
              figures=(Figure(f"curve{n}", f"The probe curve {n} (caption text)",
                              lambda ax: ax.plot([0, 1, 2], [0, 1, 4])),),
              demonstrations=(Demonstration("Stacked fractions", _fraction_rows),
                              Demonstration("Filler", lambda n=n: [(FILLER, "row")] * (3 * n)))),
        Derivation(
            variables=(Variable("x"),),
            derive=lambda v: sp.expand((v.x + 1) ** 14), result=lambda v: sp.expand((v.x + 1) ** 14),
            result_lhs=r"(x + 1)^{14}",
            oracle=Oracle(lambda d: (d["x"] + 1) ** 14, "NumPy power", 1e-9, "a few float64 operations", cases=2)),
    )

LAYOUT = Family("layout", "Layout probes", "Parts placed to meet page breaks.", tuple(_part(n) for n in range(6)))
needs_tools = pytest.mark.skipif(not all(shutil.which(t) for t in ("pdflatex", "pdftotext", "pdfinfo")),
                                 reason="needs pdflatex and poppler-utils")


@pytest.fixture(scope="module")
def probe(tmp_path_factory):
    out = tmp_path_factory.mktemp("layout")
    reports = {p.id: finish(p, cases=2) for p in LAYOUT.parts}
    formats = {"html", "tex", "pdf"} if shutil.which("pdflatex") else {"html", "tex"}
    render.build([LAYOUT], reports, out, formats=formats)
    return out


def _words(pdf: Path, page: int | None = None) -> list[tuple[float, float, float, float, str]]:
    pages = ["-f", str(page), "-l", str(page)] if page else []
    out = subprocess.run(["pdftotext", "-bbox", *pages, str(pdf), "-"], capture_output=True, text=True,
                         check=True).stdout
    return [(float(a), float(b), float(c), float(d), unescape(t)) for a, b, c, d, t in
            re.findall(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>', out)]


def _page_of(pdf: Path, text: str) -> int:
    pages = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                           check=True).stdout.split("\f")
    return next(n for n, page in enumerate(pages, 1) if text in page)


@pytest.mark.slow
@needs_tools
def test_table_rows_of_fractions_keep_clear_of_each_other(probe):
    pdf = probe / "layout.pdf"
    words = _words(pdf, _page_of(pdf, "Stacked fractions"))
    # Font boxes of the first table on the page: denominators 10, 100, ... and numerators 1.
    denominators = [next(w for w in words if w[4] == str(d)) for d in DENOMINATORS]
    top, bottom = denominators[0][1], denominators[-1][3]
    numerators = sorted((w for w in words if w[4] == "1" and top - 20 < w[1] < bottom), key=lambda w: w[1])
    assert len(numerators) == len(DENOMINATORS)
    gaps = [below[1] - above[3] for above, below in zip(denominators, numerators[1:])]
    # Before the struts a numerator's box overlapped the denominator above by 1.5 pt.
    assert min(gaps) >= 1.0, gaps


@pytest.mark.slow
@needs_tools
def test_a_long_display_breaks_at_body_size_instead_of_shrinking(probe):
    pdf = probe / "layout.pdf"
    words = _words(pdf, 1)
    assert not pagecheck.overfull_boxes((probe / ".latex" / "layout.log").read_text(errors="replace"))
    plus = [w for w in words if w[4] == "+"]
    inline = plus[0]                      # the + of (x + 1)^14 in the statement, at body size
    statement_line = inline[3]
    display = [w for w in plus if w[1] > statement_line + 20][:14]   # the first display's 14 pluses
    assert len(display) == 14
    heights = {round(w[3] - w[1], 1) for w in display}
    assert min(heights) >= 0.95 * (inline[3] - inline[1]), (heights, inline)
    assert len({round(w[3]) for w in display}) >= 2, "the display did not break into lines"


@pytest.mark.slow
@needs_tools
def test_every_caption_is_on_the_page_of_its_figure(probe):
    pdf = probe / "layout.pdf"
    dests = pagecheck.destinations(pdf)
    assert sum(name.startswith("figure-") for name in dests) == len(LAYOUT.parts)
    assert pagecheck.split_figures(dests, pdf.name) == []
    for n in range(len(LAYOUT.parts)):   # the anchors sit where the texts are
        assert _page_of(pdf, f"The probe curve {n} (caption") == dests[f"caption-layout-curve{n}"]


def test_the_figure_and_its_caption_are_one_box_in_the_source(probe):
    tex = (probe / "layout.tex").read_text()
    assert r"\figurebox{layout-curve0}{0.8\linewidth}{The probe curve 0 (caption text)}" in tex
    preamble = (TEMPLATES / "tex" / "base.tex.j2").read_text()
    box = re.search(r"\\newcommand\{\\figurebox\}\[3\]\{(.*?)\n\\newcommand", preamble, re.S).group(1)
    assert box.index(r"\begin{minipage}") < box.index(r"\includegraphics") < box.index("Figure: #3") \
        < box.index(r"\end{minipage}")


def test_rows_with_fractions_get_a_strut_in_print(probe):
    tex = (probe / "layout.tex").read_text()
    rows = [line for line in tex.splitlines() if line.endswith(r"\\") and r"\frac{1}" in line]
    assert len(rows) == len(DENOMINATORS) * len(LAYOUT.parts)
    assert all(line.startswith(r"\cellstrut{}") for line in rows)
    assert Table("", ((r"$\frac{1}{2}$", "a"), ("b", "c"), ("d", r"$\sqrt{2}$"))).tall == (True, False, True)


def test_the_preamble_never_shrinks_a_display():
    preamble = (TEMPLATES / "tex" / "base.tex.j2").read_text()
    assert r"\resizebox" not in preamble and r"\scalebox" not in preamble


def test_a_long_html_display_is_one_math_element_per_term(probe):
    page = (probe / "layout.html").read_text()
    result = re.search(r'<div class="result">\s*<div class="display">(.*?)</div>', page, re.S).group(1)
    pieces = re.findall(r"<math\b.*?</math>", result, re.S)
    assert len(pieces) == 16          # "(x + 1)^{14} =", then x^{14} +, 14 x^{13} +, ..., 1
    for piece in pieces[:-1]:
        last = ET.fromstring(piece).findall(".//{http://www.w3.org/1998/Math/MathML}mo")[-1]
        assert last.get("form") == "infix"     # spaced as between terms, though last in its row
    css = (TEMPLATES / "html" / "style.css.j2").read_text()
    rule = re.search(r"\n\.display \{([^}]*)\}", css).group(1)
    assert "overflow-x: auto" in rule and "text-indent: -" in rule
    assert re.search(r"\.display math \{[^}]*display: inline math", css)


@pytest.mark.parametrize("tex, pieces", [
    (r"a = b + c - d", ["a =", " b +", " c -", " d"]),
    (r"\phantom{a} = -b", [r"\phantom{a} =", " -b"]),
    (r"f\left(a + b\right) = (u - v) x^{-1}", [r"f\left(a + b\right) =", " (u - v) x^{-1}"]),
    (r"\{t : 0 < t\} = \left(0, 1\right]", [r"\{t : 0 < t\} =", r" \left(0, 1\right]"]),
    (r"\sum_{i=1}^{n} x_{i+1} \le 2", [r"\sum_{i=1}^{n} x_{i+1} \le", " 2"]),
])
def test_displays_split_only_at_top_level_relations_and_terms(tex, pieces):
    assert split_display(tex) == pieces


def test_a_display_latex2mathml_cannot_read_is_none():
    assert display_mathml(r"\frac{1}{") is None


def test_a_closing_bracket_clears_an_italic_capital():
    math = ET.fromstring(to_mathml(r"\mathbb{E}[P] + (x)"))
    closers = [e for e in math.iter("{http://www.w3.org/1998/Math/MathML}mo") if e.text in ("]", ")")]
    assert [c.get("lspace") for c in closers] == ["0.1em", None]


@pytest.mark.parametrize("value, shown", [
    ("0 exactly", "$0$ exactly"), ("-40.8163", "$-40.8163$"), ("{0}", r"$\{0\}$"),
    ("[nan, nan]", r"$(\mathrm{NaN}, \mathrm{NaN})$"), ("inf", r"$\infty$"),
    ("0.000 / 0.000", "$0.000$ / $0.000$"), ("-1.992 / +2.002", "$-1.992$ / $+2.002$"),
    ("1e-05", "$10^{-5}$"), ("float64", "float64"), ("$x$ already", "$x$ already"),
])
def test_computed_values_are_math_or_words_never_code(value, shown):
    assert _cell(value) == shown


@pytest.mark.parametrize("domain, shown", [
    (domains.UNIT_INTERVAL, r"$0 < \beta < 1$"),
    (domains.Interval(low=0.25, high=1.0, description="the smallest eigenvalue of H: positive"),
     "the smallest eigenvalue of $H$: positive"),
    (domains.STEP_COUNT, r"a step count $t = 1, 2, \ldots$"),
    (domains.Domain(description="width multiplier in (0, 1]"), "width multiplier in $(0, 1]$"),
    (domains.Domain(description="kernel side: 1, 3 or 5"), "kernel side: $1$, $3$ or $5$"),
    (domains.POSITIVE, "positive"),
])
def test_domains_print_their_mathematics_as_math(domain, shown):
    assert _domain_text(domain, r"\beta") == shown


def test_counterexample_numbers_keep_their_kind():
    assert [_number_tex(x) for x in (0.0, 1.0, 2, 0.5)] == ["0", "1", "2", "0.5"]


def test_the_batchnorm_graph_labels_print_at_eight_points_or_more():
    from matplotlib.figure import Figure as MplFigure
    from derive.verify.normalisation import draw_graph
    fig = MplFigure()
    ax = fig.add_subplot()
    draw_graph(ax)
    # The sheet prints a figure at a fraction of the A4 text width (2.2 cm margins).
    family = (TEMPLATES / "tex" / "family.tex.j2").read_text()
    share = float(re.search(r"\\figurebox\{\\VAR\{fig\.stem\}\}\{([\d.]+)\\linewidth\}", family).group(1))
    scale = share * (210 - 2 * 22) / 25.4 / fig.get_size_inches()[0]
    labels = [t for t in ax.texts if t.get_color() != "black" and t.get_text()]
    assert len(labels) >= 8
    for label in labels:
        # mathtext sets a text-style \frac's numerator and denominator at 70% of the size
        shrink = 0.7 if r"\frac" in label.get_text() else 1.0
        assert label.get_fontsize() * shrink * scale >= 8.0, (label.get_text(), label.get_fontsize())


def test_a_family_introduction_drops_the_paths_of_derives_own_modules():
    intro = ("Recurrences are solved with a step count (``derive.maths.recurrences``); Oracles "
             "(``derive.verify.instrumented``): a NumPy pass, moments (derive.maths.expectation) and "
             "``scipy.ndimage.map_coordinates``.")
    assert for_readers(intro) == ("Recurrences are solved with a step count; Oracles: a NumPy pass, moments and "
                                  "``scipy.ndimage.map_coordinates``.")
