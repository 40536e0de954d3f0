"""Finds the parts: every module of the problem packages the interface hands it (derive's
front hands the course catalogue, ``problems``), plus problem files a user names. A problem
module sets ``TITLE`` and ``PARTS``; its docstring introduces the family.

The registry knows the packages only by the names it is given, so no engine module depends on
a catalogue: ``add_package("problems")`` records the name, the first look-up imports it.
"""
from __future__ import annotations

import importlib
import importlib.util
import pkgutil
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

from ..errors import InvalidArgument, ProblemDefinitionError, UnknownPart
from .part import Part


@dataclass(frozen=True)
class Family:
    name: str
    title: str
    intro: str
    parts: tuple[Part, ...]


_families: dict[str, Family] = {}
_packages: list[str] = []          # problem packages handed in, in order
_imported: set[str] = set()        # those whose modules are registered
_loading = threading.RLock()


def _family_from_module(module) -> Family:
    parts = getattr(module, "PARTS", None)
    if not isinstance(parts, (list, tuple)) or not all(isinstance(p, Part) for p in parts):
        raise ProblemDefinitionError(f"{module.__name__}: PARTS must be a list of derive.Part")
    name = module.__name__.rsplit(".", 1)[-1]
    wrong = [p.id for p in parts if p.family != name]
    if wrong:
        raise ProblemDefinitionError(f"{module.__name__}: part ids {wrong} must start with {name!r}.")
    return Family(name, getattr(module, "TITLE", name.title()), (module.__doc__ or "").strip(), tuple(parts))


def register(family: Family) -> None:
    ids = {p.id for f in _families.values() if f.name != family.name for p in f.parts}
    clash = [p.id for p in family.parts if p.id in ids]
    if clash:
        raise ProblemDefinitionError(f"part ids {clash} are already registered")
    _families[family.name] = family


def add_package(name: str) -> None:
    """Take the problem modules of the package ``name`` (every module not starting with ``_``);
    they are imported at the first look-up."""
    with _loading:
        if name not in _packages:
            _packages.append(name)


def _load_packages() -> None:
    """Import every module of each package handed in, once. Threads that ask meanwhile wait
    (an RLock, so a problem module that itself looks up parts does not deadlock)."""
    if all(name in _imported for name in _packages):
        return
    with _loading:
        for name in _packages:
            if name in _imported:
                continue
            package = importlib.import_module(name)
            for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
                if not info.name.startswith("_"):
                    register(_family_from_module(importlib.import_module(f"{name}.{info.name}")))
            _imported.add(name)


def package_files() -> list[Path]:
    """Every source file of the problem packages handed in (their shared helpers too), for the
    verification cache's key."""
    files: list[Path] = []
    for name in _packages:
        spec = importlib.util.find_spec(name)
        for folder in (spec.submodule_search_locations or []) if spec else []:
            files += sorted(Path(folder).rglob("*.py"))
    return files


def load_file(path: str | Path) -> Family:
    """Load a user's problem module from a file and register its family."""
    path = Path(path)
    if not path.is_file() or path.suffix != ".py":
        raise InvalidArgument(f"problem file {str(path)!r} is not a .py file")
    _load_packages()
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module
    spec.loader.exec_module(module)
    family = _family_from_module(module)
    register(family)
    return family


def families() -> list[Family]:
    _load_packages()
    return list(_families.values())


def all_parts() -> list[Part]:
    return [p for f in families() for p in f.parts]


def get_part(part_id: str) -> Part:
    for part in all_parts():
        if part.id == part_id:
            return part
    raise UnknownPart(part_id, [p.id for p in all_parts()])


def select(patterns: list[str] | None) -> list[Part]:
    """Parts named by ids, family names or ``family.*``; all parts when none are given."""
    parts = all_parts()
    if not patterns:
        return parts
    chosen: list[Part] = []
    for pattern in patterns:
        family = pattern[:-2] if pattern.endswith(".*") else pattern
        matched = [p for p in parts if p.id == pattern or p.family == family]
        if not matched:
            raise UnknownPart(pattern, [p.id for p in parts])
        chosen += [p for p in matched if p not in chosen]
    return chosen
