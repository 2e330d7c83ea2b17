"""The data directory stays private: directories 0700, files 0600, for every file Lantern writes there.

    private_umask()                      # first in each process Lantern starts (gunicorn, manage, celery)
    make_private_dir(data_dir() / "exports")
    with open(path, "wb", opener=private_opener) as out: ...   # 0600 whatever the umask
    secure_data_dir(data_dir())          # at start-up: take group and other bits off what exists

The accounts database (password hashes, TOTP secrets), exports (every event of a site), mail files
(reset and invitation links), spools and the secret key live here. Nothing here imports Django.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

PRIVATE_UMASK = 0o077
DIR_MODE = 0o700
FILE_MODE = 0o600


def private_umask() -> int:
    """Files and directories this process creates are its user's only; returns the previous umask."""
    return os.umask(PRIVATE_UMASK)


def make_private_dir(path: Path) -> Path:
    """``path`` (and missing parents) as a directory of mode 0700, also when it existed already."""
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    path.chmod(DIR_MODE)
    return path


def private_opener(path: str, flags: int) -> int:
    """An ``open(..., opener=)`` that creates the file with mode 0600."""
    return os.open(path, flags, FILE_MODE)


def _tighten(path: Path) -> bool:
    mode = stat.S_IMODE(os.lstat(path).st_mode)
    if not mode & 0o077:
        return False
    path.chmod(mode & ~0o077)
    return True


def secure_data_dir(root: Path) -> list[Path]:
    """Make ``root`` 0700 and take group and other bits off everything under it; returns what changed.

    Symbolic links are neither followed nor changed. Run before the processes that use the files start.
    """
    if not root.is_dir():
        return []
    changed = [root] if _tighten(root) else []
    for directory, subdirs, files in os.walk(root, followlinks=False):
        for name in [*subdirs, *files]:
            path = Path(directory) / name
            if not path.is_symlink() and _tighten(path):
                changed.append(path)
    return changed
