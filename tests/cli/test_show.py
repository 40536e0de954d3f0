"""`derive show PART [--json]`: the sheet's content for one part, in words or as data."""
import json
import re

import pytest

from derive import all_parts
from derive.cli.main import main
from derive.cli.show import show_data, show_text
from derive.model.claim import CLOSED_FORM_CLAIM, PROVED, Claim, PartReport

PARTS = all_parts()
# A LaTeX command, an inline-math dollar, RST code or bold marks, or a script's raw group.
RAW = re.compile(r"\\[a-zA-Z{}|]|\$|``|\*\*|[_^]\{")


def stub_report(part):
    """A report with every claim a sheet lays out, without the minutes of verifying every part
    (verification itself is tested part by part in tests/problems/test_parts.py)."""
    claims = [Claim(part.id, "closed form", CLOSED_FORM_CLAIM, PROVED, "stub", ({},))]
    claims += [Claim(part.id, "step", step.lhs, PROVED, "stub", ({},)) for step in part.steps]
    return PartReport(part, tuple(claims))


@pytest.mark.parametrize("part", PARTS, ids=[p.id for p in PARTS])
def test_show_lays_out_every_part(part):
    data = show_data(part, report=stub_report(part))
    assert json.loads(json.dumps(data, default=str))["part"] == part.id
    assert data["statement"] == part.statement and data["result"].startswith(part.result_lhs)
    assert len(data["steps"]) == len(part.steps) and len(data["tables"]) == len(part.demonstrations)
    for table in data["tables"]:
        assert all(1 <= len(row) <= len(table["columns"]) for row in table["rows"])
    text = show_text(data)
    assert part.id in text and "Verification: proved" in text
    raw = [line for line in text.splitlines() if RAW.search(line)]
    assert not raw, f"LaTeX or markup on the terminal: {raw[:3]}"


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_show_json_gives_worked_quantities_as_numbers(capsys):
    code, out, _ = run(capsys, "show", "conv.networks_ab", "--json")
    data = json.loads(out)
    assert code == 0 and data["outcome"] == "proved"
    (table,) = data["tables"]
    assert table["columns"] == ["layer", "output", "params", "mults"]
    totals = {row[0]: row for row in table["rows"]}
    assert totals["A: total"][2:] == [44272, 309329920]
    assert isinstance(totals["B: total"][3], int)
    kinds = {c["kind"] for c in data["claims"]}
    assert {"closed form", "numeric", "worked"} <= kinds
    assert [f["name"] for f in data["figures"]] == ["conv-ab-cost"]


def test_show_text_has_steps_result_table_and_record(capsys):
    code, out, _ = run(capsys, "show", "conv.output_size")
    assert code == 0
    for heading in ("Statement:", "Notation:", "Derivation:", "Result:", "Verification: proved",
                    "Slips the checker names:"):
        assert heading in out
    assert "'floor((N + 2P - K)/S) + 1' (the dilation forgotten): incorrect" in out


def test_show_unknown_part_is_a_one_line_error(capsys):
    code, out, err = run(capsys, "show", "conv.nope")
    assert code == 2 and "conv.nope" in err and "Traceback" not in err


def test_show_prints_unicode_and_json_keeps_latex(capsys):
    code, out, _ = run(capsys, "show", "softmax.jacobian")
    assert code == 0
    assert "J = ∂s/∂z = diag(s) - s sᵀ" in out
    assert "2.         = sᵢ (δᵢⱼ - sⱼ)" in out, "a continued chain stays aligned under its first line"
    assert not RAW.search(out)
    code, out, _ = run(capsys, "show", "softmax.jacobian", "--json")
    data = json.loads(out)
    assert data["result"].startswith(r"J = \frac{\partial s}{\partial z}")
    assert data["steps"][1]["equation"].startswith(r"\phantom{")


def test_a_check_at_a_fixed_point_is_not_called_random(capsys):
    # The oracle of sigmoid_grad_max takes one case, a grid over [-8, 8]: nothing is drawn.
    code, out, _ = run(capsys, "show", "activation.sigmoid_grad_max")
    assert code == 0 and "    1 case." in out and "random case" not in out
