"""What bench_check.py and load_check.py share: the mixed answers they check, running the same
measurement on two code trees (this checkout and a baseline checkout, each in its own
subprocess with its own PYTHONPATH, so the two versions never share a process), and the
markdown they print.

A script using this module is both the parent (it builds the answers, starts one child per
tree and prints the comparison) and the child (``--child MODE --tree DIR``: it imports derive
from DIR only, measures, and writes JSON for the parent). The parent imports no derive code.
"""
from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
THIS_TREE = HERE.parent
STATUSES = ("correct", "incorrect", "invalid", "undecided")

# Templates per part: {k} becomes a per-answer integer, so most answers are distinct trees
# while staying correct, wrong or invalid as labelled.
TEMPLATES = {
    "softmax.ce_grad": ["s - y", "yhat - y + ({k} - {k}) s", "{k} (s - y)", "y - s", "s - {k} y",
                        r"\hat{y} - y", "s^T - y^T", "s s", "-y+s"],
    "softmax.jacobian": ["diag(s) - s s^T", r"s_i(\delta_{ij} - s_j)", "diag(s) - {k} s s^T",
                         "s s^T - diag(s)", "diag(s)", "diag(s) - s^T s"],
    "softmax.mse_grad": ["2 (diag(s) - s s^T)(s - y)", "2 s_j ((s_j - y_j) - sum_m s_m (s_m - y_m))",
                         "{k} (diag(s) - s s^T)(s - y)", "s - y"],
    "softmax.two_class": ["sigma(z_1 - z_2)", "sigma({k} z_1 - {k} z_2)", "1/(1 + exp(z_2 - z_1))"],
    "activation.sigmoid_grad": ["sigma(z)(1 - sigma(z))", r"\sigma(z) - \sigma^2(z)",
                                "{k} sigma(z)(1 - sigma(z))", "exp(-z)/(1 + exp(-z))^2",
                                "sigma(z)(1 + sigma(z))", "9^9^9^9"],
    "activation.tanh_grad": ["1 - tanh(z)^2", "{k} - tanh(z)^2", r"1-\tanh^2(z)", "__import__('os')"],
    "activation.tanh_sigmoid": ["2 sigma(2z) - 1", "{k} sigma(2z) - 1"],
    "activation.sigmoid_grad_max": ["1/4", "1/{k}", "0.25"],
    "optim.gd_step_bound": ["0 < eps < 2/lambda_max", r"0 < \epsilon < \frac{{k}}{\lambda_{\max}}",
                            "eps < 2/lambda_max"],
    "optim.gd_closed_form": ["(I - eps H)^t w_0", "(I - {k} eps H)^t w_0", "w_0^T (I - eps H)^t"],
    "optim.adam_bias": [r"(1-\beta_1^t)\mathbb{E}[g]", "(1 - beta_1^t)^{k} mu", "E[g]"],
    "dropout.mask_gram": ["p^2 X^T X + p(1-p) diag(X^T X)", "p^{k} X^T X + p(1-p) diag(X^T X)",
                          "p^2 X^T X"],
    "dropout.ridge_solution": ["inv(X^T X + (1-p)/p diag(X^T X)) X^T y",
                               "(X^T X + {k} (1-p)/p diag(X^T X))^{-1} X^T y"],
    "dropout.unit_grad": ["w_i p_i (1-p_i) x_i^2", r"(1-p)\circ p \circ w \circ x^{\circ {k}}"],
    "optim.adam_unroll": [r"(1-\beta_1)\sum_{i=1}^{t} \beta_1^{t-i} g_i",
                          r"(1-\beta_1)\sum_{i=1}^{t} \beta_1^{t-i+{k}} g_i"],
}


def answer_pool(n: int, rng: np.random.Generator, known: set[str]) -> list[tuple[str, str]]:
    """``n`` (part, answer) pairs drawn from TEMPLATES (parts in ``known`` only)."""
    items = [(pid, t) for pid, ts in TEMPLATES.items() if pid in known for t in ts]
    return [(pid, template.replace("{k}", str(int(rng.integers(2, 10_000)))))
            for pid, template in (items[i] for i in rng.integers(len(items), size=n))]


# ----------------------------------------------------------------------------- in a child
def use_tree(tree: str):
    """Import derive from ``tree`` and nowhere else (the venv's editable install points at
    another checkout); returns the package."""
    sys.path.insert(0, tree)
    import derive
    where = Path(derive.__file__).resolve()
    if Path(tree).resolve() not in where.parents:
        raise SystemExit(f"derive was imported from {where}, not from {tree}")
    return derive


def table_answers(tree: str) -> dict[str, list[tuple[str, str]]]:
    """Right, wrong and hostile (part, answer) pairs from ``tree``'s test tables
    (tests/answers: test_checking, test_adversarial, test_equivalent's HOSTILE strings)."""
    use_tree(tree)
    def load(name):
        spec = importlib.util.spec_from_file_location(name, Path(tree) / "tests" / "answers" / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module

    def values(p):
        return tuple(getattr(p, "values", p))

    checking, adversarial = load("test_checking"), load("test_adversarial")
    cases = [values(p) for p in getattr(adversarial, "PART_CASES", [])]
    out = {"right": [values(p)[:2] for p in checking.CORRECT_ANSWERS]
                    + [c[:2] for c in cases if c[2] == "correct"],
           "wrong": [values(p)[:2] for p in checking.WRONG_ANSWERS]
                    + [c[:2] for c in cases if c[2] == "incorrect"],
           "hostile": [values(p)[:2] for p in checking.INVALID_ANSWERS]}
    try:
        out["hostile"] += [("activation.sigmoid_grad", text) for text in load("test_equivalent").HOSTILE]
    except (OSError, AttributeError, ImportError):
        pass
    return out


def child_info(tree: str, _payload=None) -> dict:
    derive = use_tree(tree)
    return {"parts": sorted(p.id for p in derive.all_parts() if p.answer)}


def child_main(modes: dict) -> bool:
    """Run as a child when the command line says ``--child MODE --tree DIR --io PATH``:
    ``modes[MODE](tree, payload) -> result``, payload read from PATH.in.json, result written
    to PATH.out.json. Returns False when this process is the parent."""
    if "--child" not in sys.argv:
        return False
    args = dict(zip(sys.argv[1::2], sys.argv[2::2]))
    mode, tree, io = args["--child"], args["--tree"], args["--io"]
    payload = json.loads(Path(io + ".in.json").read_text())
    result = {"info": child_info, "tables": lambda t, _: table_answers(t), **modes}[mode](tree, payload)
    Path(io + ".out.json").write_text(json.dumps(result))
    return True


# ----------------------------------------------------------------------------- in the parent
_SCRATCH = tempfile.TemporaryDirectory(prefix="derive-bench-")


class Child:
    """One measurement in a subprocess importing derive from ``tree`` only."""
    count = 0

    def __init__(self, script: str, mode: str, tree: Path, payload, *, pipes: bool = False):
        Child.count += 1
        self.io = os.path.join(_SCRATCH.name, f"{mode}-{Child.count}")
        Path(self.io + ".in.json").write_text(json.dumps(payload))
        env = dict(os.environ, PYTHONPATH=str(tree), PYTHONHASHSEED="0")
        self.proc = subprocess.Popen(
            [sys.executable, str(Path(script).resolve()), "--child", mode, "--tree", str(tree),
             "--io", self.io], cwd=tree, env=env,
            stdin=subprocess.PIPE if pipes else subprocess.DEVNULL,
            stdout=subprocess.PIPE if pipes else None, text=True)

    def result(self):
        if self.proc.wait() != 0:
            raise SystemExit(f"a measuring subprocess failed (exit {self.proc.returncode}): {self.io}")
        return json.loads(Path(self.io + ".out.json").read_text())


def in_child(script: str, mode: str, tree: Path, payload=None):
    return Child(script, mode, tree, payload).result()


def trees(baseline: str | None) -> dict[str, Path]:
    """{"this tree": this checkout, "baseline": DIR}, or only this tree."""
    out = {"this tree": THIS_TREE}
    if baseline:
        base = Path(baseline).resolve()
        if not (base / "derive" / "__init__.py").is_file():
            raise SystemExit(f"--baseline {baseline}: no derive/__init__.py there")
        out["baseline"] = base
    return out


def describe(name: str, tree: Path) -> str:
    def git(*args):
        run = subprocess.run(["git", "-C", str(tree), *args], capture_output=True, text=True)
        return run.stdout.strip() if run.returncode == 0 else ""
    head = cell(git("log", "-1", "--format=%h %s"), 72) or "not a git checkout"
    dirty = " + uncommitted changes" if git("status", "--porcelain", "--untracked-files=no") else ""
    return f"{name}: {tree} at {head}{dirty}"


def machine() -> str:
    return (f"Machine: {len(os.sched_getaffinity(0))} cores, load average "
            f"{', '.join(f'{x:.2f}' for x in os.getloadavg())} (shared: other work may run).")


def table(headers: list[str], rows: list[list], align: str | None = None) -> str:
    align = align or "-" + ":" * (len(headers) - 1)
    marks = ["---" if a == "-" else "---:" for a in align]
    lines = ["| " + " | ".join(headers) + " |", "| " + " | ".join(marks) + " |"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def ratio(new: float, old: float) -> str:
    return f"{new / old:.2f}x" if old and np.isfinite(old) and np.isfinite(new) else "-"


def status_counts(statuses) -> dict[str, int]:
    statuses = list(statuses)
    counts = {s: statuses.count(s) for s in STATUSES}
    counts.update({s: statuses.count(s) for s in set(statuses) - set(STATUSES)})
    return counts


def cell(text: str, limit: int = 70) -> str:
    text = " ".join(str(text).split()).replace("|", "\\|")
    return text if len(text) <= limit else text[:limit - 3] + "..."


def changes(before: dict[str, dict], after: dict[str, dict], limit: int = 20) -> tuple[int, str]:
    """Answers whose status differs ({key: {"part", "answer", "status", "message"}}): how many,
    and a table of up to ``limit`` (part, answer, before -> after, the after message)."""
    keys = [k for k in before if k in after and before[k]["status"] != after[k]["status"]]
    rows = [[before[k]["part"], "`" + cell(before[k]["answer"], 60) + "`",
             f"{before[k]['status']} -> {after[k]['status']}", cell(after[k].get("message", ""), 90)]
            for k in keys[:limit]]
    return len(keys), table(["part", "answer", "status", "message"], rows, "----") if rows else ""
