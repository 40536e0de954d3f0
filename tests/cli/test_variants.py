"""Variants end to end: derive.variant verifies, derive variant prints, check --variant judges
against the variant's answer, build --variants writes a sheet per student, grade reads a
variant column."""
import csv
import json

import pytest

import derive
from derive.cli.main import main
from derive.pipeline import variants as variants_module

RF = "conv.receptive_field"


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_variant_is_verified_and_alice_differs_from_bob():
    alice, bob = derive.variant("backprop.two_layer", "alice"), derive.variant("backprop.two_layer", "bob")
    assert alice.outcome == bob.outcome == "proved"
    assert alice.values != bob.values and alice.part.statement != bob.part.statement
    assert alice.record.worked[0].rows != bob.record.worked[0].rows   # the forward pass's numbers


def test_derive_variant_twice_prints_the_same(capsys):
    first = run(capsys, "variant", RF, "--seed", "alice")
    again = run(capsys, "variant", RF, "--seed", "alice")
    bob = run(capsys, "variant", RF, "--seed", "bob")
    assert first[0] == 0 and first[1] == again[1]
    assert "Verification: proved" in first[1] and "for seed 'alice'" in first[1]
    assert bob[1] != first[1]


def test_derive_variant_json(capsys):
    code, out, _ = run(capsys, "variant", "optim.adam_first_step", "--seed", "alice", "--json")
    data = json.loads(out)
    assert code == 0 and data["variant"]["seed"] == "alice" and data["outcome"] == "proved"
    assert data["variant"]["values"] == {k: str(v) for k, v in derive.variant("optim.adam_first_step", "alice").values.items()}


def answer_of(seed):
    return str(int(derive.variant(RF, seed).record.report.part.result(None)))


def test_check_with_a_variant_judges_the_variants_answer(capsys):
    original = str(int(derive.get_part(RF).result(None)))          # 21
    mine = answer_of("alice")
    assert mine != original
    assert derive.check(RF, mine, variant="alice").status == "correct"
    assert derive.check(RF, original, variant="alice").status == "incorrect"
    assert derive.check(RF, original).status == "correct"
    code, out, _ = run(capsys, "check", RF, mine, "--variant", "alice", "--json")
    assert code == 0 and json.loads(out)["variant"] == "alice"
    assert run(capsys, "check", RF, original, "--variant", "alice")[0] == 1


@pytest.mark.parametrize("argv, message", [
    (("check", "softmax.ce_grad", "s - y", "--variant", "alice"), "has no parameters"),
    (("check", "conv.nope", "1", "--variant", "alice"), "unknown part 'conv.nope'"),
    (("variant", "conv.nope", "--seed", "a"), "unknown part 'conv.nope'"),
    (("variant", "softmax.ce_grad", "--seed", "a"), "has no parameters, so it has no variants"),
    (("variant", RF, "--seed", ""), "seed must be non-empty text"),
])
def test_bad_input_is_one_line_and_exit_2(capsys, argv, message):
    code, out, err = run(capsys, *argv)
    assert code == 2 and message in err + out and "Traceback" not in err


def test_a_failing_variant_is_redrawn_and_says_so(monkeypatch):
    calls = []

    def failing_first(record):
        calls.append(record)
        return "refuted for the test" if len(calls) == 1 else None
    monkeypatch.setattr(variants_module, "failure", failing_first)
    monkeypatch.setattr(variants_module, "_made", {})
    heard = []
    made = derive.variant(RF, "carol", say=heard.append)
    assert made.attempt == 1 and len(made.redrawn) == 1 and "attempt 0" in heard[0] and "redrawn" in heard[0]
    monkeypatch.setattr(variants_module, "_made", {})


def test_build_variants_writes_one_sheet_per_student(tmp_path, capsys):
    roster = tmp_path / "roster.csv"
    roster.write_text("Student_ID,name\nalice,A\nbob,B\nalice,A again\n")
    code, _, _ = run(capsys, "build", RF, "--variants", str(roster), "--out", str(tmp_path / "out"), "--format", "html")
    assert code == 0
    listing = json.loads((tmp_path / "out" / "variants.json").read_text())
    assert [s["student"] for s in listing] == ["alice", "bob"]
    alice = (tmp_path / "out" / "alice" / "alice.html").read_text()
    assert "Problems for alice" in alice and "Verification" not in alice and "Result" not in alice
    assert "Stack conv" in alice and "derive check PART ANSWER --variant alice" in alice
    code, _, _ = run(capsys, "build", RF, "--variants", str(roster), "--solutions", "--out", str(tmp_path / "sol"),
                     "--format", "html")
    solved = (tmp_path / "sol" / "alice" / "alice.html").read_text()
    assert code == 0 and "Solutions for alice" in solved and "Verification" in solved


@pytest.mark.parametrize("text, message", [
    ("name,email\nAlice,a@x\n", "has no id column: its columns are 'name', 'email'"),
    ("", "is empty"),
    ("id\n\n", "no student in it"),
])
def test_a_roster_without_ids_is_refused(tmp_path, capsys, text, message):
    roster = tmp_path / "roster.csv"
    roster.write_text(text)
    code, _, err = run(capsys, "build", "--variants", str(roster), "--out", str(tmp_path / "out"))
    assert code == 2 and message in err


def test_grade_reads_a_variant_column(tmp_path, capsys):
    original, mine = str(int(derive.get_part(RF).result(None))), answer_of("alice")
    path = tmp_path / "subs.csv"
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerows([("student", "part", "answer", "variant"), ("alice", RF, mine, "alice"),
                     ("alice2", RF, original, "alice"), ("plain", RF, original, ""),
                     ("nope", "softmax.ce_grad", "s - y", "alice")])
    code, _, _ = run(capsys, "grade", str(path), "--out", str(tmp_path / "g"), "--jobs", "1")
    rows = list(csv.DictReader((tmp_path / "g" / "verdicts.csv").open()))
    assert [r["status"] for r in rows] == ["correct", "incorrect", "correct", "invalid"]
    assert "has no parameters" in rows[3]["message"]


PARAMETRISED = [p.id for p in derive.all_parts() if p.parameters is not None]


@pytest.mark.parametrize("part_id", PARAMETRISED)
def test_every_parametrised_part_gives_verified_variants_that_differ(part_id):
    catalogue = derive.get_part(part_id)
    alice = derive.variant(part_id, "alice")
    assert alice.outcome == "proved" and alice.values != catalogue.parameters.defaults()
    assert all(slip["status"] == "incorrect" for slip in alice.record.slips)
    # what the student reads changes with the values (statement, or the worked numbers shown)
    assert (alice.part.statement, alice.part.title) != (catalogue.statement, catalogue.title) or \
        alice.record.worked != derive.pipeline.finish(catalogue).worked


def test_grade_jsonl_variant_that_is_not_text_is_invalid(tmp_path, capsys):
    path = tmp_path / "subs.jsonl"
    rows = [{"student": "a", "part": RF, "answer": "21", "variant": 7},
            {"student": "b", "part": RF, "answer": answer_of("alice"), "variant": "alice"}]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    run(capsys, "grade", str(path), "--out", str(tmp_path / "g"), "--jobs", "1")
    verdicts = [json.loads(line) for line in (tmp_path / "g" / "verdicts.jsonl").read_text().splitlines()]
    assert [v["status"] for v in verdicts] == ["invalid", "correct"]
    assert "variant 7: a variant seed must be text" in verdicts[0]["message"]


def test_list_variants_names_each_parameter_and_its_range(capsys):
    code, out, _ = run(capsys, "list", "--variants", "--json")
    listed = {p["id"]: p["parameters"] for p in json.loads(out)}
    assert code == 0 and set(listed) == set(PARAMETRISED)
    eta = next(q for q in listed["backprop.two_layer"] if q["name"] == "eta")
    assert eta["default"] == "0.4" and eta["allowed"] == "0.1 to 1.0 in steps of 0.1"


def test_solutions_without_a_roster_is_refused(tmp_path, capsys):
    code, _, err = run(capsys, "build", "--solutions", "--out", str(tmp_path / "o"))
    assert code == 2 and "--solutions goes with --variants ROSTER" in err
