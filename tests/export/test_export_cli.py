"""Bad input to `derive export` gets one line naming it, and exit status 2, never a traceback."""
import json
import zipfile

import pytest

from derive.cli.main import main


@pytest.fixture
def a_file(tmp_path):
    path = tmp_path / "taken"
    path.write_text("")
    return path


@pytest.mark.parametrize("argv, says", [
    (["prairielearn", "softmax.nope", "--out", "{tmp}/pl"], "unknown part 'softmax.nope'"),
    (["prairielearn", "softmax.shift", "--out", "{tmp}/pl"], "part 'softmax.shift' takes no answers"),
    (["gradescope", "conv.networks_ab", "--out", "{tmp}/a.zip"], "takes no answers, so it cannot be graded; parts that do: conv."),
    (["prairielearn", "softmax.ce_grad", "--out", "{file}"], "is a file"),
    (["prairielearn", "softmax.ce_grad", "--out", "{file}/below"], "cannot write into --out"),
    (["gradescope", "softmax.ce_grad", "--out", "{tmp}"], "is a folder"),
    (["gradescope", "softmax.ce_grad", "--out", "{tmp}/autograder.tar"], "must name a .zip file"),
    (["gradescope", "softmax.ce_grad", "--out", "{tmp}/missing/a.zip"], "does not exist"),
], ids=["unknown", "no-answers-pl", "no-answers-gs", "out-is-file", "out-under-file", "zip-is-folder",
        "not-zip", "no-parent"])
def test_bad_input_is_named_in_one_line(capsys, tmp_path, a_file, argv, says):
    argv = [a.format(tmp=tmp_path, file=a_file) for a in argv]
    assert main(["export", *argv]) == 2
    err = capsys.readouterr().err
    assert says in err and err.startswith("derive: error:") and "Traceback" not in err
    assert not (tmp_path / "a.zip").exists()


def test_a_family_exports_only_its_answer_parts(capsys, tmp_path):
    assert main(["export", "gradescope", "conv", "--out", str(tmp_path / "conv.zip")]) == 0
    with zipfile.ZipFile(tmp_path / "conv.zip") as archive:
        ids = [p["id"] for p in json.loads(archive.read("config.json"))["parts"]]
    assert "conv.grad_bias" in ids and "conv.networks_ab" not in ids and "conv.toeplitz" not in ids


def test_an_export_replaces_its_own_copy_of_derive_but_no_other_folder(capsys, tmp_path):
    shared = tmp_path / "serverFilesCourse"
    assert main(["export", "prairielearn", "softmax.ce_grad", "--out", str(tmp_path), "--no-vendor"]) == 0
    (shared / "derive" / "stale_module.py").write_text("")
    assert main(["export", "prairielearn", "softmax.ce_grad", "--out", str(tmp_path), "--no-vendor"]) == 0
    assert not (shared / "derive" / "stale_module.py").exists() and (shared / "derive" / "__init__.py").exists()
    (shared / "problems" / ".derive-export").unlink()        # as if the course had its own problems/
    assert main(["export", "prairielearn", "softmax.ce_grad", "--out", str(tmp_path), "--no-vendor"]) == 2
    assert "was not written by derive export" in capsys.readouterr().err


def test_a_part_outside_the_shipped_catalogue_is_refused(capsys, tmp_path, monkeypatch):
    """The export ships the catalogue package; a part from a --problems file would be unknown on
    the platform (here the catalogue's name is changed so that every part is outside it)."""
    from derive.export import common
    monkeypatch.setattr(common, "SOURCES", ("derive", "no_such_catalogue"))
    assert main(["export", "gradescope", "softmax.ce_grad", "--out", str(tmp_path / "a.zip")]) == 2
    assert "softmax.ce_grad comes from a problem file" in capsys.readouterr().err
