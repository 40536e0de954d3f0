"""The pytest plugin: `pytest --derive-problems PATH` collects a test per part, a refuted part
fails with its claim and counterexample, a mark per family selects, from any directory."""
import re
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[2] / "README.md"


@pytest.fixture
def course(tmp_path):
    """A course's own folder holding the README's example module (one right, one wrong part)."""
    code = re.search(r"```python\n(\"\"\"Softmax with temperature.*?)```", README.read_text(), re.S).group(1)
    folder = tmp_path / "course"
    folder.mkdir()
    (folder / "temperature.py").write_text(code)
    return folder


def run_pytest(cwd, *args):
    done = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", *args],
                          cwd=cwd, capture_output=True, text=True, timeout=300)
    return done.returncode, done.stdout + done.stderr


@pytest.mark.slow
def test_one_part_passes_and_the_refuted_one_fails_with_its_counterexample(course, tmp_path):
    code, out = run_pytest(tmp_path, "--derive-problems", str(course / "temperature.py"))
    assert code == 1, out
    assert "1 failed, 1 passed" in out
    assert "temperature.forgot_chain_rule: refuted" in out
    assert "closed form: refuted" in out and "counterexample:" in out and '"claimed"' in out


@pytest.mark.slow
def test_a_folder_is_collected_and_a_family_mark_selects(course, tmp_path):
    code, out = run_pytest(tmp_path, "--derive-problems", str(course), "-m", "temperature",
                           "-k", "jacobian and not forgot")
    assert code == 0, out
    assert "1 passed" in out


def test_a_missing_path_is_a_usage_error(tmp_path):
    code, out = run_pytest(tmp_path, "--derive-problems", str(tmp_path / "nowhere.py"))
    assert code == 4, out
    assert "nowhere.py" in out and "no such file or folder" in out
