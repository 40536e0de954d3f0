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
from derive import Oracle, Part, Slip, Variable
from derive.model.domains import POSITIVE, SIMPLEX
from derive.model.functions import diag, softmax
from derive.verify.numeric import FD_RTOL, FD_TOLERANCE_REASON, central_jacobian
from derive.verify.numeric import softmax as np_softmax

TITLE = "Softmax with temperature"
z = Variable("z", ("C",))
T = Variable("T", domain=POSITIVE)
s = Variable("s", ("C",), SIMPLEX, definition=lambda v: softmax(v.z / v.T),
             numeric=lambda x: np_softmax(x["z"] / x["T"]))


def jacobian(part_id, closed_form, **more):
    return Part(id=part_id, title="Jacobian of softmax(z / T)", statement=r"Find $\\partial s / \\partial z$.",
                variables=(z, T, s), sizes={"C": range(2, 4)},
                derive=lambda v: softmax(v.z / v.T).jacobian(v.z), result=closed_form,
                result_lhs=r"\\frac{\\partial s}{\\partial z}",
                oracle=Oracle(lambda x: central_jacobian(lambda u: np_softmax(u / x["T"]), x["z"]),
                              "central differences of a NumPy softmax", FD_RTOL, FD_TOLERANCE_REASON, cases=5),
                **more)


PARTS = [
    jacobian("temperature.jacobian", lambda v: (diag(v.s) - v.s * v.s.T) / v.T, answer=True,
             slips=(Slip(r"\\operatorname{diag}(s) - s s^\\top", r"the chain rule's $1/T$ forgotten"),)),
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
