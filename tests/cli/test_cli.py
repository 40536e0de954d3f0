"""The command line: listings, verification tables, and clear errors for bad input."""
import json
import re
from pathlib import Path

import pytest

from derive.cli.main import main

CATALOGUE = Path(__file__).resolve().parents[3] / "shared" / "catalogue.md"
IMPLEMENTED = ("softmax", "activation")


def catalogue_ids(family):
    if not CATALOGUE.exists():
        pytest.skip("shared/catalogue.md is not beside the project")
    text = CATALOGUE.read_text()
    ids = set(re.findall(rf"`({family}\.[a-z_0-9]+)`", text))
    # "backprop.neuron_grad_w, `_b`" style abbreviations are not used by these families.
    return ids


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("family", IMPLEMENTED)
def test_list_json_has_every_catalogue_id_of_the_family(capsys, family):
    code, out, _ = run(capsys, "list", "--json")
    listed = {p["id"]: p for p in json.loads(out)}
    assert code == 0
    missing = catalogue_ids(family) - set(listed)
    assert not missing, f"catalogue ids not registered: {sorted(missing)}"
    assert listed["softmax.ce_grad"]["answer"] is True
    assert {"name": "s", "shape": ["C"]}.items() <= listed["softmax.ce_grad"]["variables"][1].items()
    assert "yhat" in listed["softmax.ce_grad"]["variables"][1]["spellings"]


def test_verify_prints_a_table_and_exits_zero_when_all_hold(capsys):
    code, out, _ = run(capsys, "verify", "activation", "--cases", "10")
    assert code == 0
    assert re.search(r"activation\.sigmoid_grad\s+proved", out)
    from derive.model.registry import select
    assert f"{len(select(['activation']))} parts in" in out


def test_verify_json_reports_every_claim(capsys):
    code, out, _ = run(capsys, "verify", "softmax.jacobian", "--json", "--cases", "5")
    (report,) = json.loads(out)
    kinds = [c["kind"] for c in report["claims"]]
    assert code == 0 and kinds[0] == "closed form" and "numeric" in kinds
    assert report["claims"][0]["sizes"] == ["C=2", "C=3", "C=4", "C=5", "C=6"]


@pytest.mark.parametrize("argv, message", [
    (["verify", "softmax.nope"], "unknown part 'softmax.nope'; known parts include: softmax."),
    (["list", "nofamily"], "unknown part 'nofamily'"),
    (["build", "--format", "html,docx"], "unknown format docx; choose from html, tex, pdf"),
    (["verify", "--seed", "abc"], "invalid int value: 'abc'"),
    (["frobnicate"], "invalid choice: 'frobnicate'"),
    (["--problems", "/nonexistent/x.py", "list"], "is not a .py file"),
    (["build", "--out", "/dev/null/sheets"], "cannot write into output folder '/dev/null/sheets'"),
    (["check", "softmax.ce_grad", "s - y", "--timeout", "nan"], "timeout must be a number of seconds"),
    (["check", "softmax.ce_grad", "s - y", "--timeout", "-1"], "timeout must be a number of seconds"),
    (["grade", "/nonexistent/subs.csv", "--out", "/tmp"], "cannot read submissions file"),
    (["check", "nope.part", "s"], "unknown part 'nope.part'"),
])
def test_bad_input_gets_a_clear_message_and_exit_2(capsys, argv, message):
    try:
        code = main(argv)
    except SystemExit as exit_:  # argparse's own errors
        code = exit_.code
    _, err = capsys.readouterr()
    assert code == 2
    assert message in err
    assert "Traceback" not in err


WRONG_CLAIM = '''
"""Softmax with temperature T > 0: one right claim and one that forgets the chain rule's 1/T."""
from derive import Derivation, Grading, Oracle, Part, Sheet, Slip, Variable
from derive.model.domains import POSITIVE, SIMPLEX
from derive.model.functions import diag, softmax
from derive.verify.numeric import FD_RTOL, FD_TOLERANCE_REASON, central_jacobian
from derive.verify.numeric import softmax as np_softmax

TITLE = "Softmax with temperature"
z = Variable("z", ("C",))
T = Variable("T", domain=POSITIVE)
s = Variable("s", ("C",), SIMPLEX, definition=lambda v: softmax(v.z / v.T),
             numeric=lambda x: np_softmax(x["z"] / x["T"]))


def jacobian(part_id, closed_form, grading=None):
    return Part(part_id, "Jacobian of softmax(z / T)", Sheet(r"Find $\\partial s / \\partial z$."),
                Derivation(variables=(z, T, s), sizes={"C": range(2, 4)},
                           derive=lambda v: softmax(v.z / v.T).jacobian(v.z), result=closed_form,
                           result_lhs=r"\\frac{\\partial s}{\\partial z}",
                           oracle=Oracle(lambda x: central_jacobian(lambda u: np_softmax(u / x["T"]), x["z"]),
                                         "central differences of a NumPy softmax", FD_RTOL, FD_TOLERANCE_REASON,
                                         cases=5)),
                grading)


PARTS = [
    jacobian("temperature.jacobian", lambda v: (diag(v.s) - v.s * v.s.T) / v.T, Grading(
             slips=(Slip(r"\\operatorname{diag}(s) - s s^\\top", r"the chain rule's $1/T$ forgotten"),))),
    jacobian("temperature.forgot_chain_rule", lambda v: diag(v.s) - v.s * v.s.T),
]
'''


def test_build_exits_1_naming_every_refuted_part_and_still_writes_the_sheets(capsys, tmp_path):
    module = tmp_path / "temperature.py"
    module.write_text(WRONG_CLAIM)
    out = tmp_path / "sheets"
    code, _, err = run(capsys, "--problems", str(module), "build", "temperature", "--out", str(out),
                       "--format", "html")
    assert code == 1
    assert "refuted or failed: temperature.forgot_chain_rule" in err
    assert "temperature.jacobian" not in err.split("refuted or failed:")[1]
    page = (out / "temperature.html").read_text()
    assert "Refuted" in page                       # the refutation can be read on the sheet
    assert "Common slips" in page and "derive check" in page   # the slip, judged by the checker
    code, _, err = run(capsys, "--problems", str(module), "build", "temperature", "--out", str(out),
                       "--format", "html", "--allow-refuted")
    assert code == 0 and "temperature.forgot_chain_rule" in err


def test_build_fails_when_a_declared_slip_is_not_refuted(capsys, tmp_path):
    module = tmp_path / "temperature.py"
    module.write_text(WRONG_CLAIM.replace(r'Slip(r"\operatorname{diag}(s) - s s^\top"',
                                          r'Slip(r"(\operatorname{diag}(s) - s s^\top) / T"'))
    code, _, err = run(capsys, "--problems", str(module), "build", "temperature.jacobian",
                       "--out", str(tmp_path / "sheets"), "--format", "html")
    assert code == 1
    assert "is judged correct" in err


def test_list_prints_every_family_and_every_shape(capsys):
    from derive.model.registry import families
    code, out, err = run(capsys, "list")
    assert code == 0 and "Traceback" not in err
    every = [p for f in families() for p in f.parts]
    assert len(out.splitlines()) == len(every)
    for family in families():
        code, out, err = run(capsys, "list", family.name)
        assert code == 0, (family.name, err)
        assert {line.split()[0] for line in out.splitlines()} == {p.id for p in family.parts}
    code, out, _ = run(capsys, "list", "--json")
    listed = json.loads(out)
    assert code == 0 and len(listed) == len(every)
    # Numeric shape entries (activation.relu_fit, conv.toeplitz) stay numbers in JSON and print in the listing.
    numeric = [(p["id"], v["name"], v["shape"]) for p in listed for v in p["variables"]
               if any(isinstance(d, int) for d in v["shape"])]
    assert numeric, "no part with a numeric shape left to test the listing with"
    part, name, shape = numeric[0]
    _, out, _ = run(capsys, "list", part)
    assert f"{name}[{','.join(map(str, shape))}]" in out


SMALL = WRONG_CLAIM.split("PARTS = [")[0] + '''PARTS = [jacobian("temperature.jacobian", lambda v: (diag(v.s) - v.s * v.s.T) / v.T)]
'''

# A pdflatex that lacks needspace.sty, as on a machine without texlive-latex-extra: it writes
# the log pdflatex writes and leaves an .aux behind, and makes no PDF.
FAKE_PDFLATEX = r'''#!/bin/sh
out=.
for arg; do case "$arg" in -output-directory=*) out="${arg#-output-directory=}";; esac; done
for arg; do tex="$arg"; done
name=$(basename "$tex" .tex)
printf '%s\n' "This is pdfTeX (fake)" "! LaTeX Error: File \`needspace.sty' not found." "" \
  "Type X to quit or <RETURN> to proceed," "l.11 \\usepackage" > "$out/$name.log"
: > "$out/$name.aux"
echo "! LaTeX Error: File \`needspace.sty' not found."
exit 1
'''


@pytest.fixture
def tex_without_extra(tmp_path, monkeypatch):
    folder = tmp_path / "texbin"
    folder.mkdir()
    fake = folder / "pdflatex"
    fake.write_text(FAKE_PDFLATEX)
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{folder}:{__import__('os').environ['PATH']}")
    return fake


def test_a_missing_latex_package_costs_only_the_pdfs(capsys, tmp_path, tex_without_extra):
    module = tmp_path / "temperature.py"
    module.write_text(SMALL)
    out = tmp_path / "sheets"
    out.mkdir()
    for stale in ("temperature.log", "temperature.aux", "temperature.pdf"):   # an earlier failed run
        (out / stale).write_text("stale")
    code, _, err = run(capsys, "--problems", str(module), "build", "temperature", "--out", str(out))
    assert code == 3, err
    for written in ("temperature.html", "temperature.tex", "index.html"):
        assert (out / written).is_file(), written
    assert "needspace.sty" in err and "apt-get install texlive-latex-extra" in err
    assert "exit status 3" in err and "Traceback" not in err
    left = sorted(p.name for p in out.iterdir() if p.suffix in (".log", ".aux", ".pdf"))
    assert left == [], f"stale files of a failed run left in the output folder: {left}"
    assert not list(out.glob("derive-latex-*"))
    assert "needspace.sty" in (out / ".latex" / "temperature.log").read_text()   # the full log, aside
    assert ".pdf" not in (out / "index.html").read_text() and ".pdf" not in (out / "temperature.html").read_text()
    # Every stage is on stderr with the time since the start, as plain lines (stderr is not a terminal).
    for stage in ("verifying temperature.jacobian (1/1)", "rendering temperature.jacobian (1/1)",
                  "compiling temperature.pdf", "wrote " + str(out / "temperature.html")):
        assert re.search(rf"^\[\s*\d+\.\d s\] {re.escape(stage)}$", err, re.M), stage


def test_verify_reports_each_part_with_elapsed_time(capsys):
    code, _, err = run(capsys, "verify", "activation.tanh_grad", "activation.relu_grad", "--cases", "5")
    assert code == 0
    assert re.search(r"^\[\s*\d+\.\d s\] verifying activation\.tanh_grad \(1/2\)$", err, re.M)
    assert re.search(r"^\[\s*\d+\.\d s\] verifying activation\.relu_grad \(2/2\)$", err, re.M)


def test_progress_on_a_terminal_rewrites_one_line():
    import io
    from derive.cli.progress import CLEAR, Progress
    stream, now = io.StringIO(), [0.0]
    with Progress(stream, live=True, clock=lambda: now[0], tick=60) as progress:
        progress.stage("verifying a.b (1/2)")
        now[0] = 3.0
        progress.stage("verifying a.c (2/2)")
        progress.note("wrote x.html")
    text = stream.getvalue()
    assert text.count("\n") == 1 and "[   3.0 s] wrote x.html\n" in text   # only the note stays
    assert text.count(CLEAR) >= 3 and text.endswith(CLEAR)             # stages rewritten, then cleared
    plain = io.StringIO()
    Progress(plain, live=False, clock=lambda: 0.0).stage("judging the slips of a.b (1/1)")
    assert plain.getvalue() == "[   0.0 s] judging the slips of a.b (1/1)\n"
