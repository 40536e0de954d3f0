"""Batch grading: every row gets a verdict in input order with its extra columns; a row that
cannot be read is invalid with the reason and a warning naming it, and the batch goes on;
identical answers are checked once; the output folder is replaced as one unit."""
import csv
import html
import json
import os
import stat

import pytest

from derive.answers.serve import grading
from derive.answers.serve.grading import grade_file, grade_rows, read_submissions
from derive.answers.serve.summary import diagnosis_group, summarise
from derive.answers.serve.submissions import MAX_FIELD_CHARS
from derive.model.verdict import UNDECIDED, Verdict
from derive.cli.main import main
from derive.errors import InvalidArgument, OutputError

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


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_grade_csv_keeps_order_and_extra_columns(tmp_path):
    src = tmp_path / "subs.csv"
    write_csv(src, ROWS)
    table, page, verdicts = grade_file(src, tmp_path / "out", timeout=None)
    assert [v.status for v in verdicts] == EXPECTED
    out = read_csv(table)
    assert [r["student"] for r in out] == [r["student"] for r in ROWS]
    assert [r["section"] for r in out] == [r["section"] for r in ROWS]
    assert [r["status"] for r in out] == EXPECTED
    assert "sign" in out[1]["diagnosis"]
    assert out[1]["diagnosis"] == str(verdicts[1].diagnosis)   # a CSV cell: the text "kind: detail"
    assert json.loads(out[1]["counterexample"])["values"]
    assert "unknown part" in out[4]["message"]
    page_text = page.read_text()
    assert "softmax.ce_grad" in page_text and verdicts[1].diagnosis_kind in page_text
    assert "http://" not in page_text and "https://" not in page_text and "<script" not in page_text
    # Every invalid row is listed with where it is and why, not only the unreadable ones.
    assert "4 rows could not be read or checked" in page_text
    assert "row 5 (line 6): unknown part" in page_text and "row 6 (line 7): empty answer" in page_text
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["summary.html", "verdicts.csv"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "temporary folder left"


def test_grade_jsonl_keeps_extra_columns(tmp_path):
    src = tmp_path / "subs.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in ROWS[:3]))
    table, _, verdicts = grade_file(src, tmp_path / "out", timeout=None)
    assert [v.status for v in verdicts] == ["correct", "incorrect", "correct"]
    out = [json.loads(line) for line in table.read_text().splitlines()]
    assert len(out) == 3 and out[0]["section"] == "A"
    assert out[1]["counterexample"]["expected"]
    assert out[1]["diagnosis"] == verdicts[1].diagnosis.to_json() and set(out[1]["diagnosis"]) == {"kind", "detail"}


# ----------------------------------------------------------------------------- bad rows
GOOD_BEFORE = ("ada", "softmax.ce_grad", "s - y")
GOOD_AFTER = ("cy", "softmax.ce_grad", "y - s")
HUGE = "s" * (MAX_FIELD_CHARS + 1)


def csv_bytes(bad: bytes, *, last: bool = False) -> bytes:
    lines = [b"student,part,answer", ",".join(GOOD_BEFORE).encode(), bad]
    if not last:
        lines.append(",".join(GOOD_AFTER).encode())
    return b"\n".join(lines) + b"\n"


def jsonl_bytes(bad: bytes) -> bytes:
    good = [json.dumps(dict(zip(("student", "part", "answer"), r))).encode()
            for r in (GOOD_BEFORE, GOOD_AFTER)]
    return b"\n".join([good[0], bad, good[1]]) + b"\n"


# (suffix, file content, what the warning and the bad row's message say); the bad row is
# always row 2, after a correct answer and (but for the last-line case) before an incorrect
# one, and both must keep their verdicts.
BAD_BATCHES = [
    pytest.param(".csv", csv_bytes(b"bob,softmax.ce_grad," + HUGE.encode()),
                 f"{MAX_FIELD_CHARS + 1:,} characters", id="csv-huge-field"),
    pytest.param(".csv", csv_bytes(b"bob,softmax.ce_grad,s - y\xff"),
                 "not UTF-8 text (byte 0xff", id="csv-undecodable-byte"),
    pytest.param(".csv", csv_bytes(b"bob,softmax.ce_grad,\xc3(s - y)"),
                 "not UTF-8 text (byte 0xc3", id="csv-truncated-utf8-sequence"),
    pytest.param(".csv", csv_bytes(b'bob,softmax.ce_grad,"s - y'),
                 "never closed", id="csv-unterminated-quote"),
    pytest.param(".csv", csv_bytes(b'bob,softmax.ce_grad,"s - y', last=True),
                 "never closed", id="csv-unterminated-quote-on-the-last-line"),
    pytest.param(".csv", csv_bytes(b"bob,softmax.ce_grad,diag(s),s"),
                 "4 fields but the header has 3", id="csv-unquoted-comma"),
    pytest.param(".jsonl", jsonl_bytes(b'{"student": "bob", "part": "softmax.ce_grad\\ud800", "answer": "s"}'),
                 "lone surrogate \\ud800", id="jsonl-surrogate-in-part-id"),
    pytest.param(".jsonl", jsonl_bytes(b'{"student": "bob\xfe", "part": "softmax.ce_grad", "answer": "s"}'),
                 "not UTF-8 text (byte 0xfe", id="jsonl-undecodable-byte"),
    pytest.param(".jsonl", jsonl_bytes(b'{"student": "bob", "part": "softmax.ce_grad", "answer": "'
                                       + HUGE.encode() + b'"}'),
                 f"{MAX_FIELD_CHARS + 1:,} characters", id="jsonl-huge-field"),
    pytest.param(".jsonl", jsonl_bytes(b"{not json"), "not a JSON object", id="jsonl-broken-line"),
    pytest.param(".jsonl", jsonl_bytes(b"[1, 2]"), "a JSON list, not an object", id="jsonl-not-an-object"),
]


@pytest.mark.parametrize("suffix, content, reason", BAD_BATCHES)
def test_a_bad_row_is_invalid_alone_and_named_in_a_warning(tmp_path, suffix, content, reason):
    src = tmp_path / f"subs{suffix}"
    src.write_bytes(content)
    warnings = []
    table, page, verdicts = grade_file(src, tmp_path / "out", timeout=None, warn=warnings.append)
    expected = ["correct", "invalid"] if content.endswith(b'"s - y\n') else ["correct", "invalid", "incorrect"]
    assert [v.status for v in verdicts] == expected, [v.message for v in verdicts]
    assert reason in verdicts[1].message and verdicts[1].message.startswith("row 2 (line ")
    assert len(warnings) == 1 and warnings[0].startswith("row 2 (line ") and reason in warnings[0]
    written = table.read_bytes().decode("utf-8")   # whatever came in, what goes out is UTF-8
    assert len(written) < 10_000, "an over-long field is cut in the verdicts"
    out = read_csv(table) if suffix == ".csv" else [json.loads(line) for line in written.splitlines()]
    assert [r["status"] for r in out] == expected and reason in out[1]["message"]
    assert out[1].get("student", "bob").startswith("bob"), "the bad row keeps what could be read"
    listed = warnings[0].split("; the row is graded invalid")[0]
    assert listed in html.unescape(page.read_bytes().decode("utf-8")), "the summary lists the unreadable row"


def test_files_that_cannot_be_read_at_all_are_refused_clearly(tmp_path):
    wrong = tmp_path / "subs.txt"
    wrong.write_text("x")
    with pytest.raises(InvalidArgument, match=".csv or .jsonl"):
        read_submissions(wrong)
    missing = tmp_path / "subs.csv"
    missing.write_text("name,part,answer\nada,softmax.ce_grad,s - y\n")
    with pytest.raises(InvalidArgument, match="missing column.*student"):
        read_submissions(missing)
    broken_header = tmp_path / "broken.csv"
    broken_header.write_bytes(b'student,part,"answer\nada,softmax.ce_grad,s - y\n')
    with pytest.raises(InvalidArgument, match="header"):
        read_submissions(broken_header)


def test_a_quoted_answer_over_two_lines_is_one_row(tmp_path):
    src = tmp_path / "subs.csv"
    src.write_text('student,part,answer\nada,softmax.ce_grad,"s\n - y"\nbob,softmax.ce_grad,y - s\n')
    rows, _ = read_submissions(src)
    assert [(r.fields["student"], r.line, r.error) for r in rows] == [("ada", 2, None), ("bob", 4, None)]


def test_a_submitted_status_column_is_not_the_verdict(tmp_path):
    src = tmp_path / "subs.csv"
    write_csv(src, [{"student": "ada", "part": "softmax.ce_grad", "answer": "y - s", "status": "correct",
                     "submitted_status": "late"}])
    warnings = []
    table, _, verdicts = grade_file(src, tmp_path / "out", timeout=None, warn=warnings.append)
    (row,) = read_csv(table)
    assert row["status"] == "incorrect" == verdicts[0].status
    assert row["submitted_status"] == "correct" and row["submitted_submitted_status"] == "late"
    assert summarise(verdicts)["parts"]["softmax.ce_grad"]["correct"] == 0
    assert any("'status'" in w and "submitted_status" in w for w in warnings)


def test_summary_counts_diagnoses_per_part(tmp_path):
    src = tmp_path / "subs.csv"
    write_csv(src, ROWS)
    _, _, verdicts = grade_file(src, tmp_path / "out", timeout=None)
    s = summarise(verdicts)
    assert s["parts"]["softmax.ce_grad"] == {"correct": 1, "incorrect": 1}
    assert s["parts"]["activation.sigmoid_grad"] == {"invalid": 2, "incorrect": 1}
    groups = [diagnosis_group(verdicts[n].diagnosis) for n in (1, 6)]   # both wrong by a sign
    assert sum(s["overall"].values()) == 2 and s["overall"] == {g: groups.count(g) for g in groups}
    # A declared slip counts by its own words, any other diagnosis by its kind alone.
    assert groups[0] == ("slip", verdicts[1].diagnosis.detail) and groups[1] == ("sign", "")
    assert s["overall_parts"][groups[0]] == {"softmax.ce_grad"}


def test_summary_groups_slips_by_their_words_and_lists_every_invalid_row(tmp_path):
    rows = ([{"student": f"s{n}", "part": "softmax.ce_grad", "answer": "y - s"} for n in range(3)]
            + [{"student": "t", "part": "softmax.ce_grad", "answer": "2*(s - y)"},
               {"student": "u", "part": "activation.sigmoid_grad", "answer": "sigma(z)"}])
    src = tmp_path / "subs.csv"
    write_csv(src, rows)
    with open(src, "a", encoding="utf-8") as fh:
        fh.write("".join(f"v{n},softmax.ce_grad,a,b\n" for n in range(7)))   # 7 unquoted commas
    _, page, verdicts = grade_file(src, tmp_path / "out", timeout=None)
    text = html.unescape(page.read_text())
    sign, factor = verdicts[0].diagnosis, verdicts[3].diagnosis
    assert sign.kind == "slip" and factor.kind == "slip" and sign != factor
    per_part = text.split("<h2>Commonest diagnoses")[0]
    assert f"{sign.detail} (3)" in per_part and "carried over (1)" in per_part
    assert "$" not in text, "math in a slip's words is shown as MathML"
    assert "slip (4)" not in text
    assert "12 answers graded" in text and "7 rows could not be read or checked:" in text
    assert all(f"row {n} (line {n + 1}): the row has 4 fields" in text for n in range(6, 13))


def test_one_row_is_one_row(tmp_path):
    src = tmp_path / "subs.csv"
    write_csv(src, [{"student": "ada", "part": "softmax.ce_grad", "answer": "s - y"},
                    {"student": "bob", "part": "softmax.ce_grad", "answer": "s -"}])
    _, page, _ = grade_file(src, tmp_path / "out", timeout=None)
    text = page.read_text()
    assert "2 answers graded" in text and "1 row could not be read or checked:" in text
    assert "1 rows" not in text


@pytest.mark.parametrize("student", ["", "   "])
def test_a_row_with_an_empty_student_is_invalid_and_named(tmp_path, student):
    src = tmp_path / "subs.csv"
    write_csv(src, [{"student": "ada", "part": "softmax.ce_grad", "answer": "s - y"},
                    {"student": student, "part": "softmax.ce_grad", "answer": "s - y"}])
    warnings = []
    table, page, verdicts = grade_file(src, tmp_path / "out", timeout=None, warn=warnings.append)
    assert [v.status for v in verdicts] == ["correct", "invalid"]
    assert verdicts[1].message == "row 2 (line 3): empty student"
    assert warnings == ["row 2 (line 3): empty student; the row is graded invalid"]
    assert "row 2 (line 3): empty student" in page.read_text()
    # Rows given directly (not read from a file) are held to the same rule.
    (verdict,) = grade_rows([{"student": None, "part": "softmax.ce_grad", "answer": "s - y"}], timeout=None)
    assert verdict.status == "invalid" and verdict.message == "row 1 (line 1): empty student"


def test_the_summary_escapes_what_it_shows(tmp_path):
    src = tmp_path / "subs.csv"
    write_csv(src, [{"student": "ada", "part": "<script>x</script>", "answer": "s"}])
    _, page, _ = grade_file(src, tmp_path / "out", timeout=None)
    text = page.read_text()
    assert "<script>" not in text and "&lt;script&gt;" in text


# ----------------------------------------------------------------------------- once per pair
class CountingPool:
    """Stands in for the worker pool: counts checks and times every one of them out."""
    created: list = []

    def __init__(self, size):
        self.size, self.calls = size, []
        CountingPool.created.append(self)

    def check(self, part, answer, *, seed, timeout):
        self.calls.append((part, answer))
        return Verdict(UNDECIDED, f"the check took longer than {timeout:g} s and was stopped", part=part)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        pass


def test_identical_pairs_are_checked_once_timeouts_included(monkeypatch):
    monkeypatch.setattr(grading, "WorkerPool", CountingPool)
    CountingPool.created.clear()
    rows = [{"student": f"s{n}", "part": part, "answer": answer} for n, (part, answer) in enumerate(
        [("softmax.ce_grad", "s - y"), ("softmax.ce_grad", "s - y"), ("softmax.jacobian", "s - y"),
         ("softmax.ce_grad", "s-y"), ("softmax.ce_grad", "s - y"), (" softmax.ce_grad", "s - y")])]
    verdicts = grade_rows(rows, timeout=1.0, jobs=3)
    (pool,) = CountingPool.created
    assert pool.size == 3
    assert sorted(pool.calls) == sorted({("softmax.ce_grad", "s - y"), ("softmax.jacobian", "s - y"),
                                         ("softmax.ce_grad", "s-y")})
    assert all(v.status == UNDECIDED for v in verdicts) and len(verdicts) == 6
    assert verdicts[0] is verdicts[1] is verdicts[4] is verdicts[5]


def test_jobs_default_to_the_cores_and_are_validated(monkeypatch):
    monkeypatch.setattr(grading, "WorkerPool", CountingPool)
    CountingPool.created.clear()
    rows = [{"student": "a", "part": "softmax.ce_grad", "answer": f"{k} s - y"} for k in range(64)]
    grade_rows(rows, timeout=1.0)
    assert CountingPool.created[0].size == grading.default_jobs() == len(os.sched_getaffinity(0))
    for bad in (0, -1, 1.5, True, "2"):
        with pytest.raises(InvalidArgument, match="jobs"):
            grade_rows(rows, timeout=1.0, jobs=bad)


# ----------------------------------------------------------------------------- one unit
def test_output_is_replaced_as_one_unit_with_plain_modes(tmp_path):
    out = tmp_path / "out"
    jsonl = tmp_path / "subs.jsonl"
    jsonl.write_text(json.dumps(ROWS[0]) + "\n")
    grade_file(jsonl, out, timeout=None)
    stale = tmp_path / f".derive-grade-out.{2 ** 22 + 1}.abcdefgh"   # a dead grading's folder
    stale.mkdir()
    (stale / "verdicts.csv").write_text("half")
    src = tmp_path / "subs.csv"
    write_csv(src, ROWS[:2])
    old_umask = os.umask(0o077)
    try:
        grade_file(src, out, timeout=None)
    finally:
        os.umask(old_umask)
    assert sorted(p.name for p in out.iterdir()) == ["summary.html", "verdicts.csv"], "old verdicts.jsonl kept"
    assert not stale.exists() and not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
    assert stat.S_IMODE(out.stat().st_mode) == 0o755
    assert {stat.S_IMODE(p.stat().st_mode) for p in out.iterdir()} == {0o644}


def test_a_failure_while_writing_leaves_the_previous_grading_whole(tmp_path, monkeypatch):
    src = tmp_path / "subs.csv"
    write_csv(src, ROWS[:2])
    out = tmp_path / "out"
    grade_file(src, out, timeout=None)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    write_csv(src, ROWS[2:4])

    def broken(*args, **kwargs):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(grading, "summary_html", lambda *a: broken())
    with pytest.raises(OSError):
        grade_file(src, out, timeout=None)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_a_folder_holding_other_files_is_refused_before_grading(tmp_path, monkeypatch):
    src = tmp_path / "subs.csv"
    write_csv(src, ROWS[:1])
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "notes.txt").write_text("mine")
    monkeypatch.setattr(grading, "grade_rows", lambda *a, **k: pytest.fail("graded before refusing"))
    with pytest.raises(OutputError, match="notes.txt.*new or empty"):
        grade_file(src, tmp_path / "out", timeout=None)
    assert (tmp_path / "out" / "notes.txt").read_text() == "mine"


# ----------------------------------------------------------------------------- the command
@pytest.mark.slow
def test_cli_grade_with_two_workers_and_warnings(tmp_path, capsys):
    src = tmp_path / "subs.csv"
    write_csv(src, ROWS)
    with open(src, "ab") as fh:
        fh.write(b"ivy,softmax.ce_grad,s - y\xff,C\n")
    status = main(["grade", str(src), "--out", str(tmp_path / "out"), "--jobs", "2"])
    captured = capsys.readouterr()
    assert status == 0
    assert "verdicts.csv" in captured.out and "summary.html" in captured.out
    assert "grading 9/9" in captured.err
    assert "derive: warning: row 9 (line 10): the answer field is not UTF-8" in captured.err
    assert [r["status"] for r in read_csv(tmp_path / "out" / "verdicts.csv")] == EXPECTED + ["invalid"]


@pytest.mark.parametrize("jobs", ["0", "x", "65"])
def test_cli_grade_refuses_bad_jobs(tmp_path, capsys, jobs):
    with pytest.raises(SystemExit) as exit_:
        main(["grade", str(tmp_path / "subs.csv"), "--out", str(tmp_path / "out"), "--jobs", jobs])
    assert exit_.value.code == 2 and "--jobs must be" in capsys.readouterr().err


@pytest.mark.slow
def test_a_repeated_answer_that_times_out_costs_one_timeout(monkeypatch):
    import time
    from derive.answers.serve import worker
    real = worker.judge

    def judge(part, answer, **kwargs):   # forked workers inherit it: one answer hangs
        if answer == "s - y + 0":
            time.sleep(60)
        return real(part, answer, **kwargs)
    monkeypatch.setattr(worker, "judge", judge)
    rows = [{"student": f"s{n}", "part": "softmax.ce_grad", "answer": "s - y + 0"} for n in range(4)]
    rows.append({"student": "t", "part": "softmax.ce_grad", "answer": "y - s"})
    started = time.monotonic()
    verdicts = grade_rows(rows, timeout=1.5, jobs=1)
    elapsed = time.monotonic() - started
    assert [v.status for v in verdicts] == [UNDECIDED] * 4 + ["incorrect"]
    assert "longer than 1.5 s" in verdicts[0].message
    assert elapsed < 4 * 1.5, f"{elapsed:.1f} s: the hanging answer was checked more than once"
