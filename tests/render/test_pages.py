"""Every page ``derive build`` writes, for every registered family (families added later
included): no code-style math in prose, valid MathML, no overfull box over 5 pt in the PDF.

The build runs once per session through the command itself (so the common-slips boxes are
there too) with its report cache kept in pytest's cache folder, so a rerun after an edit
re-verifies only what changed (a cold build of all families takes minutes).
``DERIVE_PAGES=build`` checks an existing build instead.
"""
import os
import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
import pagecheck  # noqa: E402

from derive.cli.main import main  # noqa: E402


@pytest.fixture(scope="session")
def built(request, tmp_path_factory) -> Path:
    given = os.environ.get("DERIVE_PAGES")
    if given:
        return Path(given)
    cache = getattr(request.config, "cache", None)   # absent under -p no:cacheprovider
    out = Path(cache.mkdir("derive-pages")) if cache is not None else tmp_path_factory.mktemp("derive-pages")
    formats = "html,tex,pdf" if shutil.which("pdflatex") else "html,tex"
    code = main(["build", *catalogue_families(), "--out", str(out), "--format", formats, "--allow-refuted"])
    assert code == 0
    return out


def catalogue_families() -> list[str]:
    """The families of the problems package, named explicitly: a family another test
    registered from a problem file is not the catalogue's and must not be built here."""
    import pkgutil
    import problems
    return sorted(m.name for m in pkgutil.iter_modules(problems.__path__) if not m.name.startswith("_"))


def _pages(folder: Path, pattern: str) -> list[Path]:
    pages = sorted(folder.glob(pattern))
    assert pages, f"no {pattern} in {folder}"
    return pages


@pytest.mark.slow
def test_html_prose_has_no_code_style_math(built):
    found = {p.name: pagecheck.prose_problems_html(p.read_text(encoding="utf-8")) for p in _pages(built, "*.html")}
    bad = {name: problems for name, problems in found.items() if problems}
    assert not bad, "\n".join(f"{n}: {p}" for n, ps in bad.items() for p in ps[:20])


@pytest.mark.slow
def test_tex_prose_has_no_code_style_math(built):
    found = {p.name: pagecheck.prose_problems_tex(p.read_text(encoding="utf-8")) for p in _pages(built, "*.tex")}
    bad = {name: problems for name, problems in found.items() if problems}
    assert not bad, "\n".join(f"{n}: {p}" for n, ps in bad.items() for p in ps[:20])


@pytest.mark.slow
def test_every_mathml_element_is_valid(built):
    found = {p.name: pagecheck.mathml_problems(p.read_text(encoding="utf-8")) for p in _pages(built, "*.html")}
    bad = {name: problems for name, problems in found.items() if problems}
    assert not bad, "\n".join(f"{n}: {p}" for n, ps in bad.items() for p in ps[:10])


@pytest.mark.slow
def test_no_overfull_box_over_five_points(built):
    if not shutil.which("pdflatex") and not os.environ.get("DERIVE_PAGES"):
        pytest.skip("pdflatex is not installed, so no PDF and no log to check")
    logs = _pages(built / ".latex", "*.log")
    bad = {log.name: pagecheck.overfull_boxes(log.read_text(errors="replace")) for log in logs}
    bad = {k: v for k, v in bad.items() if v}
    assert not bad, bad


def _built_pdfs(built, tool: str) -> list:
    """The built PDFs, for a check that reads them with a poppler tool; skipped, saying why,
    when the tool or the PDFs are missing."""
    if not shutil.which(tool):
        pytest.skip(f"{tool} (poppler-utils) is not installed")
    pdfs = sorted(built.glob("*.pdf"))
    if not pdfs:
        pytest.skip("no PDF was built (pdflatex is not installed)")
    return pdfs


@pytest.mark.slow
def test_no_heading_is_orphaned_at_a_page_foot(built):
    pdfs = _built_pdfs(built, "pdftotext")
    orphans = [o for pdf in pdfs for o in pagecheck.orphaned_headings(pdf)]
    assert not orphans, orphans


@pytest.mark.slow
def test_every_figure_caption_is_on_its_figures_page(built):
    pdfs = _built_pdfs(built, "pdfinfo")
    split, figures = [], 0
    for pdf in pdfs:
        dests = pagecheck.destinations(pdf)
        figures += sum(name.startswith("figure-") for name in dests)
        split += pagecheck.split_figures(dests, pdf.name)
    assert not split, split
    sources = sorted(built.glob("*.tex"))
    expected = sum(s.read_text(encoding="utf-8").count(r"\figurebox{") for s in sources)
    assert figures == expected, f"{figures} figure anchors in the PDFs, {expected} figures in the sources"


# The checks themselves must be able to fail.
def test_the_orphan_check_sees_a_part_title_at_a_page_foot():
    # What pdftotext printed for page 7 of batchnorm.pdf before the fix: the next part's title
    # and id line at the foot, its problem on page 8. Only the id line is recognisable.
    pages = ("  - claimed:    0\n A bias before batch normalisation cancels\n"
             " batchnorm.bias_cancels          proved\n\n      7\n\fPROBLEM\nOne feature over a mini-batch\n   8\n")
    assert pagecheck.orphaned_in_text(pages, "batchnorm.pdf") == [
        "batchnorm.pdf page 1 ends with 'batchnorm.bias_cancels          proved'"]
    kept = pages.replace("proved\n\n      7\n\fPROBLEM", "proved\nPROBLEM")   # heading and problem on one page
    assert pagecheck.orphaned_in_text(kept) == []
    assert pagecheck.orphaned_in_text("text\nRESULT\n 3\n\f") == [" page 1 ends with 'RESULT'"]


def test_the_figure_check_sees_a_caption_on_the_next_page():
    dests = {"figure-optim-gd-paths": 5, "caption-optim-gd-paths": 6, "figure-a": 2, "caption-a": 2}
    assert pagecheck.split_figures(dests, "optim.pdf") == [
        "optim.pdf: figure optim-gd-paths is on page 5, its caption on page 6"]
    assert pagecheck.split_figures({"figure-a": 2}) == [": figure a is on page 2, its caption on page None"]



@pytest.mark.parametrize("prose", [
    "<p>Induction: m_t = (1 - beta_1) sum_i g_i</p>", "<p>over 2^d masks</p>", "<p>error ~ 1e-15</p>",
    "<p>norm sqrt(p/(1-p))</p>", r"<p>see optim.adam\_unroll</p>", "<p>with w~ = p w</p>",
    '<p><code class="tex">\\frac{1}{</code></p>', "<p>i = 1..n</p>",
])
def test_the_prose_lint_catches_code_style_math(prose):
    assert pagecheck.prose_problems_html(f"<main>{prose}</main>")


def test_the_prose_lint_passes_math_and_code():
    page = ('<main><p>For <math><msub><mi>m</mi><mi>t</mi></msub></math>, see <code>optim.adam_unroll</code>; '
            'error below 10 percent.</p><pre class="counterexample">lambda_max: 2e-3</pre></main>')
    assert pagecheck.prose_problems_html(page) == []
    assert pagecheck.prose_problems_tex(r"\begin{document}For $m_t$ see \texttt{optim.adam\_unroll}.") == []
    assert pagecheck.prose_problems_tex(r"\begin{document}over 2\textasciicircum{}d masks")


@pytest.mark.parametrize("math, ok", [
    ('<math><msup><mi>tanh</mi><mspace/><mn>2</mn></msup></math>', False),
    ('<math><msup><mi>tanh</mi><mn>2</mn></msup></math>', True),
    ('<math><msubsup><mi>x</mi><mn>1</mn></msubsup></math>', False),
    ('<math><merror><mtext>x</mtext></merror></math>', False),
])
def test_the_mathml_check_counts_children(math, ok):
    assert (pagecheck.mathml_problems(math) == []) == ok


def test_the_overfull_check_reads_pdflatex_logs():
    log = "Overfull \\hbox (12.3pt too wide) in paragraph at lines 5--9\nOverfull \\hbox (1.2pt too wide) detected"
    assert pagecheck.overfull_boxes(log) == ["Overfull \\hbox (12.3pt too wide) in paragraph at lines 5--9"]
