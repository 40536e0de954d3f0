"""The README's example problem module runs as the README says."""
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_readme_example_verifies_one_part_and_refutes_the_wrong_one(tmp_path):
    readme = (ROOT / "README.md").read_text()
    module = re.search(r"```python\n(\"\"\"Softmax with temperature.*?)```", readme, re.S).group(1)
    (tmp_path / "temperature.py").write_text(module)
    out = subprocess.run([sys.executable, "-m", "derive", "--problems", str(tmp_path / "temperature.py"),
                          "verify", "temperature"], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 1, out.stderr
    rows = {line.split()[0]: line.split()[1] for line in out.stdout.splitlines()
            if line.startswith("temperature.")}
    assert rows == {"temperature.jacobian": "proved", "temperature.forgot_chain_rule": "refuted"}
    assert "counterexample" in out.stdout
