"""derive export gradescope: the autograder zip run as Gradescope runs it, in a temporary
folder laid out like /autograder (source/ from the zip, run_autograder beside it, the
submission in submission/), on right, wrong, broken, empty and written submissions: results.json
is always written and always fits the schema of Gradescope's results."""
import json
import os
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import jsonschema
import pytest

from derive.cli.main import main

HERE = Path(__file__).resolve().parent
RESULTS_SCHEMA = json.loads((HERE / "schemas" / "results.schema.json").read_text())
PARTS = ["softmax.ce_grad", "activation.sigmoid_grad"]


@pytest.fixture(scope="module")
def autograder(tmp_path_factory):
    target = tmp_path_factory.mktemp("export") / "autograder.zip"
    assert main(["export", "gradescope", *PARTS, "--out", str(target)]) == 0
    return target


def test_the_zip_has_setup_and_run_autograder_at_its_root(autograder):
    with zipfile.ZipFile(autograder) as archive:
        names = set(archive.namelist())
        modes = {i.filename: i.external_attr >> 16 for i in archive.infolist()}
    assert {"setup.sh", "run_autograder", "derive_autograder.py", "config.json"} <= names
    assert "derive-src/derive/__init__.py" in names and "derive-src/problems/softmax.py" in names
    assert modes["setup.sh"] & stat.S_IXUSR and modes["run_autograder"] & stat.S_IXUSR


def run(autograder, tmp_path, files, python=sys.executable, metadata=None, parts=PARTS):
    """Lay out tmp_path like /autograder, run run_autograder, return results.json (validated)."""
    root = tmp_path / "autograder"
    if metadata is not None:
        root.mkdir(parents=True)
        (root / "submission_metadata.json").write_text(json.dumps(metadata))
    with zipfile.ZipFile(autograder) as archive:
        archive.extractall(root / "source")
    shutil.copy(root / "source" / "run_autograder", root / "run_autograder")
    (root / "run_autograder").chmod(0o755)
    (root / "submission").mkdir()
    for name, text in files.items():
        (root / "submission" / name).write_text(text)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}   # derive from source/ only
    env.update(AUTOGRADER_ROOT=str(root), DERIVE_PYTHON=python)
    subprocess.run(["bash", str(root / "run_autograder")], env=env, cwd=tmp_path, capture_output=True,
                   text=True, timeout=300)
    results = json.loads((root / "results" / "results.json").read_text())
    jsonschema.validate(results, RESULTS_SCHEMA)
    assert [t["name"].split(":")[0] for t in results["tests"]] == parts
    return results


def statuses(results):
    return [t["status"] for t in results["tests"]]


@pytest.mark.slow
def test_right_answers_pass(autograder, tmp_path):
    results = run(autograder, tmp_path, {"answers.json": json.dumps(
        {"softmax.ce_grad": "s - y", "activation.sigmoid_grad": "\\sigma(z)(1 - \\sigma(z))"})})
    assert statuses(results) == ["passed", "passed"] and results["score"] == 2
    assert "proved" in results["tests"][0]["output"]


@pytest.mark.slow
def test_a_wrong_answer_fails_with_its_counterexample_and_diagnosis(autograder, tmp_path):
    results = run(autograder, tmp_path, {"answers.csv": "part,answer\nsoftmax.ce_grad,y - s\n"})
    wrong, missing = results["tests"]
    assert statuses(results) == ["failed", "failed"] and results["score"] == 0
    assert "Counterexample" in wrong["output"] and "Likely slip" in wrong["output"] and "sign" in wrong["output"]
    assert "No answer for `activation.sigmoid_grad`" in missing["output"]


@pytest.mark.slow
def test_a_csv_with_named_columns_and_an_unknown_part(autograder, tmp_path):
    results = run(autograder, tmp_path, {"mine.csv": 'student,answer,part\nann,"sigma(z)*(1 - sigma(z))",'
                                                     'activation.sigmoid_grad\nann,1,softmax.nope\n'})
    assert statuses(results) == ["failed", "passed"]
    assert "`softmax.nope`" in results["output"]


@pytest.mark.slow
@pytest.mark.parametrize("files, says", [
    ({}, "No files were submitted"),
    ({"answers.json": "{\"softmax.ce_grad\": \"s - y\""}, "not valid JSON"),
    ({"answers.json": "[1, 2]"}, "not an object"),
    ({"photo.png": "\x00\x01"}, "no `answers.json`"),
], ids=["empty", "broken-json", "json-list", "no-readable-file"])
def test_broken_and_empty_submissions_still_give_valid_results(autograder, tmp_path, files, says):
    results = run(autograder, tmp_path, files)
    assert statuses(results) == ["failed", "failed"] and results["score"] == 0
    assert says in results["output"] and says in results["tests"][0]["output"]


@pytest.mark.slow
def test_written_solutions_are_audited_step_by_step(autograder, tmp_path):
    right = ("The sigmoid's slope:\n\n$$\\sigma'(z) = \\frac{e^{-z}}{(1+e^{-z})^2} = "
             "\\sigma(z)(1 - \\sigma(z))$$\n")
    wrong = "$$\\frac{\\partial L}{\\partial z} = s - y = y - s$$\n"
    results = run(autograder, tmp_path, {"activation.sigmoid_grad.md": right, "softmax.ce_grad.md": wrong})
    ce, sigmoid = results["tests"]
    assert sigmoid["status"] == "passed" and "activation.sigmoid_grad.md" in sigmoid["output"]
    assert "reaches the answer" in sigmoid["output"]
    assert ce["status"] == "failed" and "is wrong" in ce["output"] and "Counterexample" in ce["output"]
    assert "`y - s`" in ce["output"]


@pytest.mark.slow
def test_a_written_solution_must_reach_the_answer(autograder, tmp_path):
    """Right steps that stop short of the part's answer earn nothing for it."""
    short = "$$\\sigma(z) = \\frac{1}{1+e^{-z}} = \\frac{e^z}{e^z + 1}$$\n"
    results = run(autograder, tmp_path, {"activation.sigmoid_grad.md": short})
    assert results["tests"][1]["status"] == "failed" and "No chain" in results["tests"][1]["output"]


def test_setup_sh_installs_nothing_when_derive_is_importable(autograder, tmp_path):
    with zipfile.ZipFile(autograder) as archive:
        archive.extractall(tmp_path)
    done = subprocess.run(["bash", str(tmp_path / "setup.sh")], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "DERIVE_PYTHON": sys.executable})
    assert done.returncode == 0 and "nothing to install" in done.stdout


def test_a_python_that_cannot_start_still_leaves_valid_results(autograder, tmp_path):
    results = run(autograder, tmp_path, {"answers.json": "{}"}, python="/bin/false")
    assert statuses(results) == ["failed", "failed"] and "could not start" in results["output"]


def test_a_part_with_parameters_is_graded_against_the_students_variant(tmp_path):
    # conv.receptive_field has parameters: the student id in submission_metadata.json is the
    # seed, so each student is graded against their own verified variant.
    import derive
    target = tmp_path / "variants.zip"
    assert main(["export", "gradescope", "conv.receptive_field", "--out", str(target)]) == 0
    drawn = derive.variant("conv.receptive_field", "s123").part
    right = str(drawn.result(drawn.namespace({})))
    metadata = {"users": [{"sid": "s123", "name": "Ada"}]}
    results = run(target, tmp_path / "a", {"answers.json": json.dumps({"conv.receptive_field": right})},
                  metadata=metadata, parts=["conv.receptive_field"])
    assert results["tests"][0]["status"] == "passed", results
    wrong = str(int(float(right)) + 2)
    results = run(target, tmp_path / "b", {"answers.json": json.dumps({"conv.receptive_field": wrong})},
                  metadata=metadata, parts=["conv.receptive_field"])
    assert results["tests"][0]["status"] == "failed", results
