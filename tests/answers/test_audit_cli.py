"""derive audit FILE on the command line: the terminal summary, --json, exit statuses, and a
one-line message (exit 2, no traceback) for every kind of bad input."""
import json

import pytest

from derive.cli.main import main

TANH = r"""Using the definitions of the sigmoid and tanh:
$$\tanh(z) = \frac{e^{z}-e^{-z}}{e^{z}+e^{-z}} = \frac{2}{1+e^{-2z}} - 1 = 2\sigma(z) - 1$$
"""


def run(capsys, *argv):
    status = main(["audit", *map(str, argv)])
    out, err = capsys.readouterr()
    return status, out, err


def test_the_terminal_summary_marks_every_step(tmp_path, capsys):
    doc = tmp_path / "tanh.md"
    doc.write_text(TANH + "$$O = \\lfloor 3.5 \\rfloor = 3$$\n$$\\hat{\\omega}^{\\mathsf{T}} ]$$\n")
    status, out, _ = run(capsys, doc, "--part", "activation.tanh_sigmoid")
    assert status == 1
    lines = out.splitlines()
    assert lines[0].startswith("chain 1, step 3 is wrong") and "z = 1" in lines[0]
    assert any(line.lstrip().startswith("✗  3 = 2σ(z) - 1") for line in lines)
    assert any(line.lstrip().startswith("✓  1 =") for line in lines)
    assert any(line.lstrip().startswith("?  0") for line in lines)


def test_json_has_every_step_with_its_span(tmp_path, capsys):
    doc = tmp_path / "tanh.md"
    doc.write_text(TANH)
    status, out, _ = run(capsys, doc, "--json")
    data = json.loads(out)
    assert status == 1 and data["first_wrong"] == [1, 3]
    steps = data["chains"][0]["steps"]
    assert [s["status"] for s in steps] == ["start", "proved", "proved", "wrong"]
    for s in steps:
        assert TANH[s["span"][0]:s["span"][1]] == s["text"]
    assert steps[3]["counterexample"]["values"] == {"z": "1"}


def test_a_valid_document_exits_0_and_given_definitions_are_used(tmp_path, capsys):
    doc = tmp_path / "bp.tex"
    doc.write_text(r"\[ \frac{\partial L}{\partial w} = (y - t)\, y\, (1 - y)\, x \]")
    status, out, _ = run(capsys, doc, "--given", "z = w x + b; y = sigma(z); L = 1/2 (y - t)^2")
    assert status == 0 and "✓  1" in out


@pytest.mark.parametrize("make, extra, words", [
    (None, [], "no such file"),
    (lambda p: p.write_bytes(b"\x7fELF\x00\x00binary"), [], "binary file"),
    (lambda p: p.write_bytes(b"caf\xe9 $$a = b$$"), [], "not UTF-8"),
    (lambda p: p.write_text("$$a = b$$" * 200_000), [], "characters"),
    (lambda p: p.write_text("$$a = b$$"), ["--part", "nope.part"], "unknown part"),
    (lambda p: p.write_text("$$a = b$$"), ["--given", "z w"], "NAME = EXPRESSION"),
    (lambda p: p.mkdir(), [], "folder"),
])
def test_bad_input_gets_one_line_and_exit_2(tmp_path, capsys, make, extra, words):
    path = tmp_path / "doc.md"
    if make is not None:
        make(path)
    status, out, err = run(capsys, path, *extra)
    assert status == 2 and words in err and "Traceback" not in err
    assert err.startswith("derive: error:")


def test_html_marks_every_step_and_keeps_right_to_left_prose(tmp_path, capsys):
    doc = tmp_path / "tanh.md"
    doc.write_text(TANH + "\nלכן הנגזרת היא\n$$1 - \\tanh^2(z) = (1-\\tanh z)(1+\\tanh z)$$\n", encoding="utf-8")
    page = tmp_path / "tanh.html"
    status, _, _ = run(capsys, doc, "--html", page)
    html = page.read_text(encoding="utf-8")
    assert status == 1
    assert html.count('class="step proved"') == 3 and html.count('class="step wrong"') == 1
    assert 'id="first-wrong"' in html and "<math" in html and "z = 1" in html
    assert '<p class="prose" dir="auto">לכן הנגזרת היא</p>' in html
    assert "$$" not in html and "<script" not in html


def test_html_to_a_folder_that_cannot_be_written_is_refused(tmp_path, capsys):
    doc = tmp_path / "tanh.md"
    doc.write_text(TANH)
    status, _, err = run(capsys, doc, "--html", tmp_path / "missing" / "x.html")
    assert status == 2 and "cannot write" in err


def test_a_folder_is_audited_file_by_file_and_survives_a_bad_one(tmp_path, capsys):
    folder = tmp_path / "submissions"
    folder.mkdir()
    (folder / "a_right.md").write_text(r"$$\tanh(z) = 2\sigma(2z) - 1$$")
    (folder / "b_wrong.tex").write_text(r"\[ O = \left\lfloor \frac{224 - 5}{1} \right\rfloor + 1 = 219 \]")
    (folder / "c_binary.md").write_bytes(b"\x00\x01\x02")
    (folder / "notes.pdf").write_bytes(b"%PDF")
    pages = tmp_path / "pages"
    status, out, _ = run(capsys, folder, "--html", pages)
    lines = out.splitlines()
    assert status == 1 and len(lines) == 4
    assert lines[0].startswith("a_right.md") and "✓ no wrong step" in lines[0]
    assert lines[1].startswith("b_wrong.tex") and "chain 1, step 2 is wrong" in lines[1]
    assert lines[2].startswith("c_binary.md") and "binary" in lines[2]
    assert "3 documents: 1 with a wrong step, 1 could not be audited" == lines[3]
    index = (pages / "index.html").read_text()
    assert 'href="b_wrong.tex.html"' in index and (pages / "b_wrong.tex.html").exists()
    status, out, _ = run(capsys, folder, "--json")
    rows = json.loads(out)
    assert [r["first_wrong"] for r in rows] == [None, [1, 2], None] and rows[2]["error"]


def test_an_empty_folder_or_an_unknown_part_is_said_once(tmp_path, capsys):
    status, _, err = run(capsys, tmp_path)
    assert status == 2 and "no documents" in err
    (tmp_path / "a.md").write_text("$$a = b$$")
    status, _, err = run(capsys, tmp_path, "--part", "nope.x")
    assert status == 2 and "unknown part" in err
