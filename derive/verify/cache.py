"""An on-disk cache of finished part records (the verification report, the verdicts on the
declared slips, the instance), so rebuilding sheets after a template edit does not redo every
proof.

A report is reused only when nothing that could change it has changed: the key hashes the
engine's sources, the problem packages' sources, the part's problem module, the seed, budget
and case count, and the versions of SymPy, NumPy and Hypothesis. ``derive verify`` never reads it.
"""
from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
from importlib import metadata
from pathlib import Path

from ..model import registry
from ..model.part import Part
from ..model.claim import PartRecord

ENGINE = Path(__file__).resolve().parent.parent  # the whole derive package


def _fingerprint(part: Part, settings: dict) -> str:
    sources = sorted(ENGINE.rglob("*.py")) + sorted(ENGINE.rglob("*.lark"))
    sources += registry.package_files()
    own = _module_file(part)
    digest = hashlib.sha256(_sources_digest(tuple(sources + ([own] if own else []))).encode())
    for package in ("sympy", "numpy", "hypothesis"):
        digest.update(f"{package}={metadata.version(package)}".encode())
    digest.update(json.dumps(settings, sort_keys=True).encode())
    return digest.hexdigest()


_digests: dict[tuple, str] = {}


def _sources_digest(paths: tuple[Path, ...]) -> str:
    """The hash of the files' names and contents, read again only when one of them changed
    (by size or modification time), so a build of 69 parts reads the engine once, not 138 times."""
    stamp = tuple((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in paths)
    if stamp not in _digests:
        digest = hashlib.sha256()
        for path in paths:
            digest.update(str(path).encode() + path.read_bytes())
        if len(_digests) > 64:   # one entry per problem module is all a build needs
            _digests.clear()
        _digests[stamp] = digest.hexdigest()
    return _digests[stamp]


def _module_file(part: Part) -> Path | None:
    """The problem module that declared the part (found through its derive function)."""
    module = sys.modules.get(getattr(part.derive, "__module__", ""), None)
    path = getattr(module, "__file__", None)
    return Path(path) if path else None


class ReportCache:
    def __init__(self, folder: Path):
        self.folder = Path(folder)

    def _path(self, part: Part) -> Path:
        return self.folder / f"{part.id}.json"

    def load(self, part: Part, settings: dict) -> PartRecord | None:
        try:
            data = json.loads(self._path(part).read_text())
        except (OSError, ValueError):
            return None
        if data.get("key") != _fingerprint(part, settings):
            return None
        return PartRecord.from_json(part, data)

    def store(self, record: PartRecord, settings: dict) -> None:
        data = {"key": _fingerprint(record.part, settings), **record.to_json()}
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.folder, suffix=".tmp")
            with os.fdopen(fd, "w") as handle:
                json.dump(data, handle, default=str)
            os.replace(tmp, self._path(record.part))
        except OSError:
            pass  # a cache that cannot be written only costs time
