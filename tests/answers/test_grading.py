"""Batch grading: every row gets a verdict in input order with its extra columns, bad rows
are invalid without stopping the batch, and the summary page is offline and self-contained."""
import csv
import json

import pytest

from derive.cli.main import main
from derive.errors import InvalidArgument
from derive.answers.grading import grade_file, read_submissions, summarise

ROWS = [
    {"student": "ada", "part": "softmax.ce_grad", "answer": "yhat - y", "section": "A"},
    {"student": "bob", "part": "softmax.ce_grad", "answer": "y - s", "section": "B"},
    {"student": "cy", "part": "softmax.jacobian", "answer": r"s_i(\delta_{ij} - s_j)", "section": "A"},
    {"student": "dee", "part": "softmax.jacobian", "answer": "s s", "section": "B"},
    {"student": "eve", "part": "no.such_part", "answer": "s", "section": "A"},
    {"student": "fay", "part": "activation.sigmoid_grad", "answer": "", "section": "B"},
    {"student": "gus", "part": "activation.sigmoid_grad", "answer": "-sigma(z)(1-sigma(z))", "section": "A"},
    {"student": "hal", "part": "activation.sigmoid_grad", "answer": "__import__('os')", "section": "B"},
]
EXPECTED = ["correct", "incorrect", "correct", "invalid", "invalid", "invalid", "incorrect", "invalid"]


def write_csv(path, rows):
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def test_grade_csv_keeps_order_and_extra_columns(tmp_path):
    src = tmp_path / "subs.csv"
    write_csv(src, ROWS)
    table, page, verdicts = grade_file(src, tmp_path / "out", timeout=None)
    assert [v.status for v in verdicts] == EXPECTED
    with open(table, newline="", encoding="utf-8") as fh:
        out = list(csv.DictReader(fh))
    assert [r["student"] for r in out] == [r["student"] for r in ROWS]
    assert [r["section"] for r in out] == [r["section"] for r in ROWS]
    assert [r["status"] for r in out] == EXPECTED
    assert out[1]["diagnosis"].startswith("sign")
    assert json.loads(out[1]["counterexample"])["values"]
    assert "unknown part" in out[4]["message"]
    html = page.read_text()
    assert "softmax.ce_grad" in html and "sign" in html
    assert "http://" not in html and "https://" not in html and "<script" not in html
    assert not [p for p in (tmp_path / "out").iterdir() if p.name.startswith(".")], "temp files left"


def test_grade_jsonl_with_a_broken_line(tmp_path):
    src = tmp_path / "subs.jsonl"
    lines = [json.dumps(r) for r in ROWS[:3]] + ["{not json"] + [json.dumps(ROWS[6])]
    src.write_text("\n".join(lines) + "\n")
    table, _, verdicts = grade_file(src, tmp_path / "out", timeout=None)
    assert [v.status for v in verdicts] == ["correct", "incorrect", "correct", "invalid", "incorrect"]
    out = [json.loads(line) for line in table.read_text().splitlines()]
    assert len(out) == 5 and out[0]["section"] == "A" and out[3]["status"] == "invalid"
    assert out[1]["counterexample"]["expected"]


def test_bad_submission_files_are_refused_clearly(tmp_path):
    wrong = tmp_path / "subs.txt"
    wrong.write_text("x")
    with pytest.raises(InvalidArgument, match=".csv or .jsonl"):
        read_submissions(wrong)
    missing = tmp_path / "subs.csv"
    missing.write_text("name,part,answer\nada,softmax.ce_grad,s - y\n")
    with pytest.raises(InvalidArgument, match="missing column.*student"):
        read_submissions(missing)


def test_summary_counts_diagnoses_per_part(tmp_path):
    src = tmp_path / "subs.csv"
    write_csv(src, ROWS)
    _, _, verdicts = grade_file(src, tmp_path / "out", timeout=None)
    s = summarise(verdicts)
    assert s["parts"]["softmax.ce_grad"]["correct"] == 1
    assert s["overall"]["sign"] == 2


@pytest.mark.slow
def test_cli_grade_with_the_worker(tmp_path, capsys):
    src = tmp_path / "subs.csv"
    write_csv(src, ROWS)
    status = main(["grade", str(src), "--out", str(tmp_path / "out")])
    captured = capsys.readouterr()
    assert status == 0
    assert "verdicts.csv" in captured.out and "summary.html" in captured.out
    assert "grading 8/8" in captured.err
    with open(tmp_path / "out" / "verdicts.csv", newline="") as fh:
        assert [r["status"] for r in csv.DictReader(fh)] == EXPECTED
