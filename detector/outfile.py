"""Writing one output file (exports, plots, run reports): whole or not at all, never through a
symlink, with the usual mode, and a failure is one UsageError line.

The content is written to a temporary file in the target's folder and renamed over the target
(``os.replace``), so a reader never sees half a file and a crash leaves the old one. A target
that is a symlink is refused: following it would let whoever planted it overwrite another file.
The new file gets ``0o666 & ~umask`` like any file the user creates (``mkstemp`` alone gives
0o600).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from .errors import UsageError


def _umask() -> int:
    # os.umask can only be read by setting it; set it back at once.
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_atomic(
    out: str | os.PathLike, write: Callable[[Path], object], *, option: str = "--out"
) -> Path:
    """Create or replace ``out`` with what ``write(tmp_path)`` writes; returns the path.

    UsageError (one line naming ``option`` and the path) when the folder is missing or not
    writable, the target is a symlink or a folder, or the write fails."""
    path = Path(out).expanduser()
    where = f"{option} {out}"
    if not path.parent.is_dir():
        raise UsageError(f"{where}: folder {path.parent} does not exist; create it first")
    if path.is_symlink():
        raise UsageError(
            f"{where} is a symbolic link; refusing to write through it, give another file name"
        )
    if path.is_dir():
        raise UsageError(f"{where} is a folder; give a file name")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise UsageError(f"{where}: cannot write in {path.parent} ({exc.strerror or exc})") from exc
    try:
        os.fchmod(fd, 0o666 & ~_umask())
        os.close(fd)
        write(Path(tmp))
        os.replace(tmp, path)
    except OSError as exc:
        raise UsageError(f"{where}: cannot write ({exc.strerror or exc})") from exc
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path
