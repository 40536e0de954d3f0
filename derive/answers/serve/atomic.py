"""Replacing a folder as one unit: the new files are written into a temporary folder next
to it, which then takes its place (an atomic swap where the file system can, Linux
renameat2), so a reader sees the previous contents or the new ones, never a mix."""
from __future__ import annotations

import ctypes
import os
import shutil
import tempfile
from pathlib import Path

from ...errors import OutputError

__all__ = ["replace_folder"]

_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def replace_folder(out: Path, files: dict[str, str], prefix: str) -> None:
    """Make ``out`` a folder holding exactly ``files`` (name -> text). The temporary folder
    is named ``{prefix}{out.name}.{pid}.*``; ones left by a killed process go first. Files
    are mode 0644 and the folder 0755, whatever the umask."""
    _remove_stale_temporaries(out, prefix)
    try:
        tmp = Path(tempfile.mkdtemp(prefix=f"{prefix}{out.name}.{os.getpid()}.", dir=out.parent))
    except OSError as exc:
        raise OutputError(f"cannot write into {str(out.parent)!r}: {exc.strerror}") from None
    try:
        for name, text in files.items():
            with open(tmp / name, "w", encoding="utf-8", errors="backslashreplace", newline="") as fh:
                fh.write(text)
            os.chmod(tmp / name, 0o644)
        os.chmod(tmp, 0o755)
        if not out.exists():
            os.rename(tmp, out)
        elif _exchange(tmp, out):
            shutil.rmtree(tmp)            # the previous contents, now at the temporary name
        else:
            # No atomic swap: for a moment the folder is absent, but never half old, half new.
            old = Path(f"{tmp}.old")
            os.rename(out, old)
            os.rename(tmp, out)
            shutil.rmtree(old, ignore_errors=True)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise OutputError(f"cannot write into {str(out)!r}: {exc.strerror or exc}") from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _remove_stale_temporaries(out: Path, prefix: str) -> None:
    """Temporary folders left by a process that was killed (its process is gone)."""
    for tmp in out.parent.glob(f"{prefix}{out.name}.*"):
        pid = tmp.name.rsplit(".", 2)[-2] if tmp.name.count(".") >= 2 else ""
        if pid.isdigit() and _alive(int(pid)):
            continue   # a process (perhaps this one) is writing it right now
        shutil.rmtree(tmp, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _exchange(a: Path, b: Path) -> bool:
    """Swap two folders atomically (Linux renameat2); False where that is unavailable."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        swap = libc.renameat2
    except (OSError, AttributeError):
        return False
    if swap(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (22, 38, 95):   # EINVAL, ENOSYS, EOPNOTSUPP: the file system cannot swap
        return False
    raise OSError(err, os.strerror(err), str(b))
