"""Sheets render to well-formed, offline HTML and to LaTeX that compiles; text is escaped
for each format; bad formats and unwritable folders give clear errors."""
import dataclasses
import re
import shutil
import subprocess
from pathlib import Path
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import pytest
import sympy as sp

from derive import (Demonstration, Derivation, Figure, InvalidArgument, Oracle, OutputError, Part, Sheet, Step,
                    Variable, families, verify_part)
from derive.errors import LatexFailed
from derive.render import writer as render
from derive.verify.numeric import FD_RTOL, FD_TOLERANCE_REASON, central_derivative
from derive.model.registry import Family
from derive.pipeline import finish
from derive.verify.claims import REFUTED

NASTY = "50% of cases_1 & <b>bold</b> #2 ~ ^ \\ {braces} \\$5 (σ ≤ 1 → ∞)"

SQUARE = Part(
    "toy.square", "Derivative of a square & more",
    Sheet(rf"Find $\frac{{d}}{{dx}} x^2$ for {NASTY}.",
          figures=(Figure("parabola", "the curve $y = x^2$ & its slope", lambda ax: ax.plot([0, 1, 2], [0, 1, 4])),),
          demonstrations=(Demonstration("a table with $x_1$ and 10% text",
                                        lambda: [("$x^2$ at 3", "9"), ("a_b", "<1>")]),)),
    Derivation(
        variables=(Variable("x"),),
        derive=lambda v: sp.diff(v.x ** 2, v.x),
        result=lambda v: 2 * v.x,
        result_lhs=r"\frac{d}{dx} x^2",
        steps=(Step(r"\frac{d}{dx} x^2", lambda v: 2 * v.x ** 1, f"power rule; {NASTY}"),),
        oracle=Oracle(lambda x: central_derivative(lambda t: t ** 2, x["x"]), "central differences_of t**2 & co",
                      FD_RTOL, FD_TOLERANCE_REASON, cases=5)),
)
TOY = Family("toy", "Toy & test family", "A family_with 100% odd text.", (SQUARE,))


class WellFormed(HTMLParser):
    """Checks that every non-void element is closed in order."""
    VOID = {"meta", "br", "hr", "img", "input", "link", "area", "base", "col", "embed", "source", "wbr",
            "path", "use", "rect", "circle", "line", "polyline", "polygon", "stop", "mspace"}

    def __init__(self):
        super().__init__()
        self.stack, self.errors, self.ids = [], [], []

    def handle_starttag(self, tag, attrs):
        self.ids += [v for k, v in attrs if k == "id"]
        if tag not in self.VOID:
            self.stack.append((tag, self.getpos()))

    def handle_startendtag(self, tag, attrs):
        self.ids += [v for k, v in attrs if k == "id"]

    def handle_endtag(self, tag):
        if tag in self.VOID:
            return
        if not self.stack or self.stack[-1][0] != tag:
            self.errors.append(f"</{tag}> at {self.getpos()} closes {self.stack[-1] if self.stack else 'nothing'}")
            return
        self.stack.pop()


def check_html(text: str) -> WellFormed:
    parser = WellFormed()
    parser.feed(text)
    parser.close()
    assert not parser.errors, parser.errors[:5]
    assert [t for t, _ in parser.stack] == [], parser.stack
    for math in re.findall(r"<math\b.*?</math>", text, re.S):
        ET.fromstring(math)           # MathML must be XML
    for svg in re.findall(r"<svg\b.*?</svg>", text, re.S):
        ET.fromstring(svg)
    links = re.findall(r"""(?:src|href)\s*=\s*["']([^"']*)""", text)
    external = [u for u in links if re.match(r"(?i)(https?:)?//", u)]
    assert not external, f"external links {external}"
    assert "<script" not in text and "<link" not in text and "@import" not in text
    assert '<code class="tex">' not in text, "some math did not convert to MathML"
    return parser


def records_for(fams, cases=3):
    return {p.id: finish(p, cases=cases) for f in fams for p in f.parts}


@pytest.fixture(scope="module")
def toy_build(tmp_path_factory):
    out = tmp_path_factory.mktemp("toy")
    messages = []
    written = render.build([TOY], records_for([TOY]), out, formats={"html", "tex"}, progress=messages.append)
    return out, written, messages


def test_toy_build_writes_pages_figures_and_reports_them(toy_build):
    out, written, messages = toy_build
    names = sorted(p.relative_to(out).as_posix() for p in written)
    assert names == ["figures/toy-parabola.pdf", "figures/toy-parabola.svg", "index.html", "toy.html", "toy.tex"]
    assert all(f"wrote {p}" in messages for p in written if p.suffix in (".html", ".tex"))
    assert not list(out.glob(".*.html*")), "temporary files left behind"


def test_html_is_well_formed_offline_and_escapes_text(toy_build):
    out, _, _ = toy_build
    page = (out / "toy.html").read_text()
    parser = check_html(page)
    assert "toy.square" in parser.ids
    assert "50% of cases_1 &amp; &lt;b&gt;bold&lt;/b&gt; #2 ~ ^ \\ {braces} $5 (σ ≤ 1 → ∞)" in page
    assert "<b>bold</b>" not in page
    assert '<div class="result">' in page and "<math" in page
    assert page.count("<svg") == 1 and "the curve" in page
    index = (out / "index.html").read_text()
    check_html(index)
    assert 'href="toy.html#toy.square"' in index and "Toy &amp; test family" in index


def test_tex_escapes_text_and_keeps_math(toy_build):
    out, _, _ = toy_build
    tex = (out / "toy.tex").read_text()
    assert r"50\% of cases\_1 \& \textless{}b\textgreater{}bold" in tex
    assert r"\#2 \textasciitilde{} \textasciicircum{} \textbackslash{} \{braces\} \$5" in tex
    assert r"Find $\frac{d}{dx} x^2$" in tex
    assert r"\boxed{\frac{d}{dx} x^2 = 2 x}" in tex
    assert r"\figurebox{toy-parabola}{0.8\linewidth}{the curve $y = x^2$ \& its slope}" in tex


@pytest.mark.parametrize("text, pieces", [
    ("no math", [("text", "no math")]),
    ("$x$", [("math", "x")]),
    ("a $x_1$ and $y$.", [("text", "a "), ("math", "x_1"), ("text", " and "), ("math", "y"), ("text", ".")]),
    (r"costs \$5, $p$", [("text", "costs $5, "), ("math", "p")]),
    ("see ``derive.verify.claims`` for $x$", [("text", "see "), ("code", "derive.verify.claims"), ("text", " for "),
                                       ("math", "x")]),
])
def test_split_inline(text, pieces):
    assert render.split_inline(text) == pieces


@pytest.mark.parametrize("formats, message", [
    ({"docx"}, "unknown output formats ['docx']; allowed formats are html, tex, pdf"),
    ({"html", "PDF"}, "unknown output formats ['PDF']"),
    (set(), "(none given)"),
])
def test_unknown_formats_are_rejected_with_the_allowed_list(tmp_path, formats, message):
    with pytest.raises(InvalidArgument, match=re.escape(message)):
        render.build([TOY], {}, tmp_path, formats=formats)


def test_an_unwritable_output_folder_is_a_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(OutputError, match="cannot create output folder .*file/out"):
        render.build([TOY], records_for([TOY]), blocker / "out", formats={"html"})
    with pytest.raises(OutputError, match="cannot write"):
        render.write_atomic(blocker / "page.html", "x")


def test_missing_records_are_named(tmp_path):
    with pytest.raises(InvalidArgument, match=r"no finished record for parts \['toy.square'\]"):
        render.build([TOY], {}, tmp_path, formats={"html"})


def test_templates_reject_undefined_names():
    with pytest.raises(Exception, match="undefined"):
        render.environment("html").from_string("{{ missing }}").render()
    with pytest.raises(InvalidArgument, match="template kinds are"):
        render.environment("docx")


def test_without_pdflatex_the_build_says_how_to_get_pdfs(tmp_path, monkeypatch):
    monkeypatch.setattr(render, "pdflatex", lambda: None)
    messages = []
    written = render.build([TOY], records_for([TOY]), tmp_path, progress=messages.append)
    assert not list(tmp_path.glob("*.pdf"))
    assert any("pdflatex not found" in m and "apt-get install texlive-latex-base" in m for m in messages)
    assert tmp_path / "toy.tex" in written


def test_a_refuted_part_shows_its_counterexample(tmp_path):
    from derive.model.functions import sigma
    from problems.activation import PARTS
    part = next(p for p in PARTS if p.id == "activation.sigmoid_grad")
    wrong = dataclasses.replace(part, derivation=dataclasses.replace(
        part.derivation, result=lambda v: sigma(v.z) * (1 + sigma(v.z)), steps=()))
    family = Family("activation", "Activation", "", (wrong,))
    report = verify_part(wrong, cases=5)
    assert report.outcome == REFUTED
    render.build([family], {wrong.id: finish(wrong, report=report)}, tmp_path, formats={"html"})
    page = (tmp_path / "activation.html").read_text()
    check_html(page)
    assert "badge bad" in page and 'class="counterexample"' in page and "values:" in page


def test_building_twice_gives_identical_pages(tmp_path):
    reports = records_for([TOY])
    first = render.build([TOY], reports, tmp_path / "a", formats={"html", "tex"})
    second = render.build([TOY], reports, tmp_path / "b", formats={"html", "tex"})
    for a, b in zip(first, second):
        assert a.read_bytes() == b.read_bytes(), a.name


@pytest.fixture(scope="module")
def registered_build(tmp_path_factory):
    fams = families()
    out = tmp_path_factory.mktemp("all")
    render.build(fams, records_for(fams), out, formats={"html", "tex"})
    return fams, out


@pytest.mark.slow
def test_every_registered_family_renders_every_part(registered_build):
    fams, out = registered_build
    index = (out / "index.html").read_text()
    check_html(index)
    for family in fams:
        page = (out / f"{family.name}.html").read_text()
        parser = check_html(page)
        tex = (out / f"{family.name}.tex").read_text()
        for part in family.parts:
            assert part.id in parser.ids, f"{part.id} missing from {family.name}.html"
            assert f'href="{family.name}.html#{part.id}"' in index
            assert render.tex_escape(part.id) in tex
        for figure in (f for p in family.parts for f in p.figures):
            assert figure.caption.split("$")[0][:20] in tex


needs_pdflatex = pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex not installed")


@pytest.mark.slow
@needs_pdflatex
def test_every_generated_tex_compiles(registered_build):
    fams, out = registered_build
    for family in fams:
        pdf = render.compile_pdf((out / f"{family.name}.tex").read_text(), family.name, out)
        assert pdf.read_bytes().startswith(b"%PDF")
    assert not list(out.glob("derive-latex-*")), "scratch folders left behind"


@pytest.mark.slow
@needs_pdflatex
def test_the_toy_sheet_with_special_characters_compiles(toy_build):
    out, _, _ = toy_build
    pdf = render.compile_pdf((out / "toy.tex").read_text(), "toy", out)
    assert pdf.read_bytes().startswith(b"%PDF")


@pytest.mark.slow
@needs_pdflatex
def test_failed_latex_writes_no_pdf_and_keeps_the_log_aside(tmp_path):
    broken = "\\documentclass{article}\\begin{document}\\undefinedmacro\\end{document}"
    (tmp_path / "broken.pdf").write_text("a PDF of an earlier run")
    with pytest.raises(OutputError, match=r"Undefined control sequence.* l\.1 "):
        render.compile_pdf(broken, "broken", tmp_path)
    assert not (tmp_path / "broken.pdf").exists()
    assert (tmp_path / ".latex" / "broken.log").is_file()
    assert not list(tmp_path.glob("broken.*")), "nothing of a failed run beside the sheets"


@needs_pdflatex
def test_a_package_pdflatex_cannot_find_is_named(tmp_path):
    source = "\\documentclass{article}\\usepackage{derivenosuchpackage}\\begin{document}x\\end{document}"
    with pytest.raises(LatexFailed, match="cannot find derivenosuchpackage.sty") as failure:
        render.compile_pdf(source, "sheet", tmp_path)
    assert failure.value.missing == "derivenosuchpackage.sty"
    assert "apt-file search derivenosuchpackage.sty" in str(failure.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == [".latex"]


@pytest.mark.parametrize("log, missing, hint", [
    ("! LaTeX Error: File `needspace.sty' not found.", "needspace.sty", "apt-get install texlive-latex-extra"),
    ("! Font T1/lmr/m/n/10.95=ec-lmr10 at 10.95pt not loadable: Metric (TFM) file not found.",
     "ec-lmr10.tfm", "apt-get install lmodern"),
    ("! LaTeX Error: File `fancyfoo.sty' not found.", "fancyfoo.sty", "apt-file search fancyfoo.sty"),
    ("! Undefined control sequence.", None, None),
])
def test_a_missing_tex_file_is_named_with_its_debian_package(log, missing, hint):
    assert render.missing_tex_file(f"This is pdfTeX\n{log}\nl.11") == missing
    if hint:
        assert hint in render.install_hint(missing)


# ---------------------------------------------------------------- the TeX the README installs

ROOT = Path(__file__).resolve().parents[2]


def _apt_packages(text: str) -> set[str]:
    """The package names after "apt-get install" (options, continuations and redirects skipped)."""
    words = text.split("apt-get install", 1)[1].replace("\\\n", " ").split("\n")[0].split("`")[0].split()
    return {w for w in words if not w.startswith(("-", ">", "2>"))}


def readme_tex_packages() -> set[str]:
    return _apt_packages((ROOT / "README.md").read_text())


def test_ci_installs_exactly_the_tex_packages_the_readme_names():
    ci = (ROOT / ".ci" / "run").read_text()
    assert readme_tex_packages() == _apt_packages(ci)
    assert readme_tex_packages() >= {"texlive-latex-base", "lmodern"}
    assert "needspace" not in ci


def _with_dependencies(packages: set[str]) -> set[str]:
    """The packages and, recursively, the installed packages they depend on (dpkg's records)."""
    seen, todo = set(), list(packages)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        run = subprocess.run(["dpkg-query", "-W", "-f=${Depends}, ${Pre-Depends}", name],
                             capture_output=True, text=True)
        for alternative in re.split(r"[,|]", run.stdout if run.returncode == 0 else ""):
            dep = alternative.strip().split(" ")[0].split(":")[0]
            if dep:
                todo.append(dep)
    return seen


@pytest.mark.skipif(shutil.which("pdflatex") is None or shutil.which("dpkg") is None,
                    reason="needs pdflatex and dpkg (a Debian or Ubuntu machine) to map TeX files to packages")
def test_the_preamble_needs_only_the_tex_packages_the_readme_installs(tmp_path):
    base = (render.TEMPLATES / "tex" / "base.tex.j2").read_text()
    loaded = {name.strip() for group in re.findall(r"\\usepackage(?:\[[^]]*\])?\{([^}]*)\}", base)
              for name in group.split(",")}
    assert loaded, "no \\usepackage found in the preamble"
    missing = [name for name in sorted(loaded)
               if subprocess.run(["kpsewhich", f"{name}.sty"], capture_output=True).returncode != 0]
    assert not missing, f"the preamble loads packages this TeX does not have: {missing}"
    # Compile the preamble with some text (fonts load only when used) and list every file
    # pdflatex read (-recorder), the packages' own dependencies included.
    source = render.environment("tex").get_template("base.tex.j2").render().replace(
        "\\begin{document}\n", "\\begin{document}\nText $x^2 \\le \\mathbb{R}$ \\textbf{b} \\textsf{s} "
        "\\texttt{t} \\section*{H}\\parthead{P}x\n")
    (tmp_path / "preamble.tex").write_text(source)
    run = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "-recorder", "preamble.tex"],
                         cwd=tmp_path, capture_output=True, timeout=120)
    assert run.returncode == 0, run.stdout.decode(errors="replace")[-2000:]
    read = sorted({line.split(" ", 1)[1] for line in (tmp_path / "preamble.fls").read_text().splitlines()
                   if line.startswith("INPUT /usr/share/")})
    owners = subprocess.run(["dpkg", "-S", *read], capture_output=True, text=True).stdout
    packages = {line.split(":")[0].strip() for line in owners.splitlines() if ":" in line}
    allowed = _with_dependencies(readme_tex_packages())
    assert packages, "dpkg knows none of the files pdflatex read"
    assert packages <= allowed, f"files from packages the README does not install: {sorted(packages - allowed)}"


def test_a_missing_package_stops_the_pdfs_not_the_sheets(tmp_path, monkeypatch):
    fake = tmp_path / "pdflatex"
    fake.write_text("#!/bin/sh\nfor a; do case $a in -output-directory=*) o=${a#*=};; esac; t=$a; done\n"
                    "n=$(basename $t .tex); echo \"! LaTeX Error: File \\`needspace.sty' not found.\" > $o/$n.log\n"
                    "echo called >> " + str(tmp_path / "calls") + "\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setattr(render, "pdflatex", lambda: str(fake))
    other = dataclasses.replace(TOY, name="toy2")
    out, messages = tmp_path / "out", []
    written = render.build([TOY, other], records_for([TOY]), out, progress=messages.append)
    assert (tmp_path / "calls").read_text().count("called") == 1   # the second would fail the same way
    assert len(written.pdf_failures) == 2 and "texlive-latex-extra" in written.pdf_failures[0]
    assert "warning: 1 more PDF not tried: every sheet needs needspace.sty" in messages
    assert {p.name for p in written} >= {"toy.html", "toy.tex", "toy2.html", "toy2.tex", "index.html"}
    assert not list(out.glob("*.pdf")) and not list(out.glob("*.log"))
