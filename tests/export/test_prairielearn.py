"""derive export prairielearn: every info.json against the schema of the keys PrairieLearn
reads, stable ids, and each server.py run as PrairieLearn runs it (tests/export/pl_harness.py)
on right, wrong and invalid answers, with derive taken from serverFilesCourse/ alone."""
import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from derive.cli.main import main
from derive.export import prairielearn

HERE = Path(__file__).resolve().parent
INFO_SCHEMA = json.loads((HERE / "schemas" / "info.schema.json").read_text())
PARTS = ["softmax.ce_grad", "activation.sigmoid_grad", "conv.bilinear"]


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    out = tmp_path_factory.mktemp("course")
    assert main(["export", "prairielearn", *PARTS, "--out", str(out)]) == 0
    return out


def question(course, part):
    return course / "questions" / "derive" / part


def test_every_info_json_fits_the_schema(course):
    infos = [json.loads((question(course, p) / "info.json").read_text()) for p in PARTS]
    for info in infos:
        jsonschema.validate(info, INFO_SCHEMA)
    assert len({i["uuid"] for i in infos}) == len(PARTS)


def test_the_schema_refuses_what_prairielearn_would(course):
    info = json.loads((question(course, PARTS[0]) / "info.json").read_text())
    for bad in ({**info, "extra": 1}, {**info, "type": "v2"}, {**info, "uuid": info["uuid"][:14] + "1" + info["uuid"][15:]},
                {k: v for k, v in info.items() if k != "topic"}):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(bad, INFO_SCHEMA)


def test_uuids_are_stable_across_exports(course, tmp_path):
    prairielearn(["softmax"], tmp_path, vendor=False)
    again = json.loads((question(tmp_path, "softmax.ce_grad") / "info.json").read_text())
    first = json.loads((question(course, "softmax.ce_grad") / "info.json").read_text())
    assert again["uuid"] == first["uuid"]
    # a family exports its answer parts only
    assert not (question(tmp_path, "softmax.shift")).exists() and question(tmp_path, "softmax.jacobian").is_dir()


def test_each_answer_gets_the_input_its_kind_needs(course):
    html = {p: (question(course, p) / "question.html").read_text() for p in PARTS}
    assert "<pl-string-input" in html["softmax.ce_grad"]           # a vector answer
    assert '<pl-symbolic-input answers-name="answer"' in html["activation.sigmoid_grad"]
    assert 'variables="z"' in html["activation.sigmoid_grad"]
    assert "<pl-number-input" in html["conv.bilinear"]
    assert all("<pl-question-panel>" in h and "{{{params.statement}}}" in h for h in html.values())


def harness(course, part, answers):
    done = subprocess.run([sys.executable, "-I", str(HERE / "pl_harness.py"), str(course),
                           str(question(course, part)), json.dumps(answers)],
                          capture_output=True, text=True, timeout=300, cwd=course)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


@pytest.mark.slow
def test_server_py_grades_right_wrong_and_invalid_answers(course):
    run = harness(course, "softmax.ce_grad", ["s - y", "y - s", "s - - * y", ""])
    assert run["derive"].startswith(str(course / "serverFilesCourse"))
    params = run["generated"]["params"]
    assert params["part"] == "softmax.ce_grad" and "one-hot" in params["statement"]
    right, wrong, invalid, empty = run["graded"]
    assert right["score"] == 1 and right["partial_scores"]["answer"]["score"] == 1 and not right["format_errors"]
    assert wrong["score"] == 0 and wrong["partial_scores"]["answer"]["score"] == 0
    assert "Counterexample" in wrong["feedback"]["derive"] and "sign" in wrong["feedback"]["derive"]
    assert wrong["feedback"]["status"] == "incorrect"
    assert invalid["format_errors"]["answer"] and "answer" not in invalid["partial_scores"]
    assert empty["format_errors"]["answer"] == "No answer submitted."


@pytest.mark.slow
def test_number_and_symbolic_questions(course):
    # conv.bilinear has parameters: the harness's seed 1234567 draws a variant, whose value
    # pl-number-input is given and derive grades against.
    import derive
    drawn = derive.variant("conv.bilinear", "1234567").part
    value = float(drawn.result(drawn.namespace({})))
    run = harness(course, "conv.bilinear", [repr(value), repr(value + 1)])
    assert run["generated"]["correct_answers"]["answer"] == pytest.approx(value)
    assert [g["score"] for g in run["graded"]] == [1, 0]
    run = harness(course, "activation.sigmoid_grad", ["sigma(z)*(1 - sigma(z))", "sigma(z)*(1 + sigma(z))"])
    assert [g["score"] for g in run["graded"]] == [1, 0]


def test_the_variant_hook_draws_a_verified_variant_for_a_part_with_parameters(course):
    """A part without parameters is shown as it is; a part with them gets the variant that
    PrairieLearn's seed picks (derive.variant), its own numbers and answer, graded against it."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("derive_pl_probe", course / "serverFilesCourse" / "derive_pl.py")
    derive_pl = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(derive_pl)
    assert derive_pl.supports_variants()
    data = {"params": {}, "correct_answers": {}, "variant_seed": 99}
    derive_pl.generate(data, "softmax.ce_grad", "answer", expected="s - y")
    assert data["params"]["variant"] is None

    import derive
    plain = derive.get_part("conv.receptive_field")
    data = {"params": {}, "correct_answers": {}, "variant_seed": 99}
    derive_pl.generate(data, "conv.receptive_field", "answer", expected="x", value=1.0)
    assert data["params"]["variant"] == "99"
    value = data["correct_answers"]["answer"]
    right = derive.check("conv.receptive_field", repr(value), variant="99", timeout=None)
    assert right.status == "correct", right
    data.update(submitted_answers={"answer": value}, format_errors={}, partial_scores={}, score=0, feedback={})
    derive_pl.grade(data, "conv.receptive_field", "answer")
    assert data["score"] == 1, data["feedback"]
    assert data["params"]["statement"] != plain.statement or value != float(plain.result(plain.namespace({})))


@pytest.mark.parametrize("part, kind", [
    ("activation.sigmoid_grad", "symbolic"), ("backprop.neuron_grad_w", "symbolic"),
    ("activation.relu_grad", "text"),       # Heaviside's H: no function PrairieLearn's parser knows
    ("conv.low_rank", "text"),              # r and k are no declared variables
    ("conv.output_size", "text"),           # a floor
    ("optim.gd_optimal_step", "text"),      # lambda_max: a subscripted name
    ("optim.gd_step_bound", "text"),        # a condition
    ("softmax.jacobian", "text"),           # a matrix
    ("conv.skip_grad", "number"), ("conv.receptive_field", "number"),
])
def test_an_answer_gets_an_input_that_can_read_it(part, kind):
    from derive.export.common import exported
    from derive.model import registry
    assert exported(registry.get_part(part)).kind == kind
