"""Staging folders of a running report: one per notebook, removed when its run is gone."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

__all__ = ["STAGING_PREFIX", "remove_stale_staging"]

#: Staging folders are ``<tmp>/ecommerce-report-<pid>-<random>``: the pid tells whether their run still lives.
STAGING_PREFIX = "ecommerce-report-"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by another user
        return True
    return True


def remove_stale_staging(folder: Path | None = None) -> list[Path]:
    """Remove the staging folders of runs that are gone (e.g. killed); return what was removed.

    A staging folder holds the kernel's connection file; folders of runs still alive are left alone.
    """
    removed = []
    for candidate in sorted(Path(folder or tempfile.gettempdir()).glob(f"{STAGING_PREFIX}*")):
        match = re.match(rf"{STAGING_PREFIX}(\d+)-", candidate.name)
        if candidate.is_dir() and match and not _pid_alive(int(match.group(1))):
            shutil.rmtree(candidate, ignore_errors=True)
            removed.append(candidate)
    return removed
