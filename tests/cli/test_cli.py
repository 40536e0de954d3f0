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
    assert "5 parts in" in out


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
