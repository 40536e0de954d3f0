"""The engine's layout holds: every module imports, no import cycles, dependencies one way
(cli -> web -> export -> pipeline -> answers -> render -> verify -> maths -> model -> errors), the answer pipeline read top
to bottom, problem modules free of interface code, no engine module importing the problems,
and no module over 600 lines."""
import ast
import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MAX_LINES = 600

# A folder may import from itself and from folders to its right, never to its left.
LAYERS = ["cli", "web", "export", "pipeline", "answers", "render", "verify", "maths", "model", "errors"]
# The public front (derive/__init__.py, __main__.py) stands above everything.
FRONT = {"derive", "derive.__main__"}
# Inside answers/, a stage imports only itself and the stages after it: serving drives
# deciding, deciding reads, reading knows neither (module cycles are caught above).
ANSWER_STAGES = ["serve", "decide", "read"]
# What a problem module may use: the front, the authoring vocabulary and the engine's tools.
PROBLEM_ALLOWED = ("derive", "derive.model", "derive.maths", "derive.verify", "derive.errors")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules(package: str) -> dict[str, Path]:
    return {module_name(p): p for p in sorted((ROOT / package).rglob("*.py"))}


ENGINE = modules("derive")
PROBLEMS = modules("problems")


def _without_display_hooks(tree):
    """Every node except those inside ``_repr_*`` methods: notebook display reaches rendering
    through late imports there, as SymPy's core reaches its printers, and is no dependency."""
    stack = [tree]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(child for child in ast.iter_child_nodes(node)
                     if not (isinstance(child, ast.FunctionDef) and child.name.startswith("_repr_")))


def imports_of(name: str, path: Path) -> set[str]:
    """Every module ``name`` imports, at module level or inside a function, as absolute names."""
    is_package = path.name == "__init__.py"
    package = name if is_package else name.rpartition(".")[0]
    found = set()
    for node in _without_display_hooks(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module
            found.add(target)
            # `from . import registry` imports a module, not a name
            found |= {f"{target}.{a.name}" for a in node.names if f"{target}.{a.name}" in ENGINE}
    return found


def engine_imports(name: str, path: Path) -> set[str]:
    """The derive modules ``name`` depends on (an imported name resolved to its module)."""
    out = set()
    for target in imports_of(name, path):
        while target and target not in ENGINE:
            target = target.rpartition(".")[0]
        if target and target != name:
            out.add(target)
    return out


def layer(name: str) -> str | None:
    parts = name.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in LAYERS else None


GRAPH = {name: engine_imports(name, path) for name, path in ENGINE.items()}


# derive.__main__ runs the command when imported; its one import is checked by the graph.
@pytest.mark.parametrize("name", sorted(set(ENGINE) - {"derive.__main__"}) + sorted(PROBLEMS))
def test_every_module_imports(name):
    importlib.import_module(name)


def test_there_are_no_import_cycles():
    state: dict[str, int] = {}
    cycles = []

    def visit(node, stack):
        state[node] = 1
        for nxt in sorted(GRAPH.get(node, ())):
            if state.get(nxt) == 1:
                cycles.append(" -> ".join(stack[stack.index(nxt):] + [nxt]))
            elif nxt not in state:
                visit(nxt, stack + [nxt])
        state[node] = 2

    for start in sorted(GRAPH):
        if start not in state:
            visit(start, [start])
    assert not cycles, "import cycles:\n" + "\n".join(cycles)


def test_dependencies_run_one_way():
    upward = []
    for name, targets in GRAPH.items():
        if name in FRONT:
            continue
        here = layer(name)
        assert here is not None, f"{name} sits outside the job folders {LAYERS}"
        for target in targets:
            there = layer(target)
            if target in FRONT or LAYERS.index(there) < LAYERS.index(here):
                upward.append(f"{name} imports {target}")
    assert not upward, "imports against the direction " + " -> ".join(LAYERS) + ":\n" + "\n".join(upward)


def answer_stage(name: str) -> int | None:
    parts = name.split(".")
    if parts[:2] != ["derive", "answers"] or len(parts) < 3:
        return None
    assert parts[2] in ANSWER_STAGES, f"{name} sits outside the answer stages {ANSWER_STAGES}"
    return ANSWER_STAGES.index(parts[2])


def test_the_answer_stages_read_top_to_bottom():
    back = [f"{n} imports {t}" for n, ts in GRAPH.items() if answer_stage(n) is not None
            for t in ts if answer_stage(t) is not None and answer_stage(t) < answer_stage(n)]
    assert not back, "climbs back up the answer stages " + " -> ".join(ANSWER_STAGES) + ":\n" + "\n".join(back)


def test_problem_modules_import_no_interface_code():
    bad = []
    for name, path in PROBLEMS.items():
        for target in imports_of(name, path):
            if target.split(".")[0] != "derive":
                continue
            if not any(target == ok or target.startswith(ok + ".") for ok in PROBLEM_ALLOWED[1:]) \
                    and target != "derive":
                bad.append(f"{name} imports {target}")
    assert not bad, "problem modules may import only " + ", ".join(PROBLEM_ALLOWED) + ":\n" + "\n".join(bad)


def catalogue_imports(path: Path) -> list[str]:
    """Every import of the ``problems`` package in a file, display hooks included."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
            [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else []
        found += [n for n in names if n.split(".")[0] == "problems"]
    return found


def test_no_engine_module_imports_the_problems():
    """The registry is handed its problem packages by name; the engine depends on no catalogue."""
    bad = [f"{name} imports {target}" for name, path in ENGINE.items() for target in catalogue_imports(path)]
    assert not bad, "the engine must not import problem modules:\n" + "\n".join(bad)


def test_the_catalogue_check_can_fail(tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text("def f():\n    import problems\n\ndef _repr_html_():\n    from problems.conv import PARTS\n")
    assert catalogue_imports(probe) == ["problems", "problems.conv"]


def test_no_module_is_over_600_lines():
    long = {str(p.relative_to(ROOT)): n for p in [*ENGINE.values(), *PROBLEMS.values()]
            if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert not long, f"modules over {MAX_LINES} lines: {long}"


def test_each_job_folder_says_what_it_is_for_and_may_import():
    for folder in LAYERS[:-1]:
        doc = ast.get_docstring(ast.parse((ROOT / "derive" / folder / "__init__.py").read_text()))
        assert doc and "import" in doc, f"derive/{folder}/__init__.py must say its job and what it may import"


def test_the_layering_checks_can_fail(tmp_path):
    """The resolver of imports sees relative, nested and package imports (else the checks above
    would pass vacuously)."""
    probe = tmp_path / "probe.py"
    probe.write_text("from ..render.printing import latex\n\ndef f():\n    from . import registry\n\n"
                     "def _repr_html_():\n    from ..render import notebook\n")
    found = imports_of("derive.model.probe", probe)
    assert "derive.render.printing" in found and "derive.model.registry" in found
    assert "derive.render.notebook" not in found   # display hooks are exempt, and only they
