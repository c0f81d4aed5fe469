"""Fetching Kaggle's "AI-Driven Consumer Behavior Dataset" (the only network access of the package)."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

from .. import paths
from .encoding import file_sha256

__all__ = ["KAGGLE_DATASET", "KAGGLE_FILE_NAME", "KAGGLE_SHA256", "KaggleFetchError", "fetch_kaggle"]

logger = logging.getLogger(__name__)

KAGGLE_DATASET = "ziya07/ai-driven-consumer-behavior-dataset"
KAGGLE_FILE_NAME = "consumer_behavior_dataset.csv"
#: sha256 of the file as published (5,000 rows x 19 columns); a mismatch is reported, not fatal.
KAGGLE_SHA256 = "7c7410951e56f489edecf5f6088a8d699c8b34536a499f2094a5e537299a7066"


class KaggleFetchError(RuntimeError):
    """The Kaggle dataset could not be fetched (no client, no credentials, download failed)."""


def _has_kaggle_credentials() -> bool:
    if os.environ.get("KAGGLE_USERNAME") and os.environ.get("KAGGLE_KEY"):
        return True
    config_dir = Path(os.environ.get("KAGGLE_CONFIG_DIR", Path.home() / ".kaggle"))
    return (config_dir / "kaggle.json").is_file() or (config_dir / "access_token").is_file()


def _download_with_cli(dest: Path, run: Callable[..., subprocess.CompletedProcess]) -> None:
    cmd = ["kaggle", "datasets", "download", "-d", KAGGLE_DATASET, "-p", str(dest), "--unzip", "--force"]
    proc = run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        detail = (proc.stderr or proc.stdout or "").strip().splitlines()
        raise KaggleFetchError(f"`{' '.join(cmd)}` failed: {detail[-1] if detail else 'no output'}")


def _download_with_kagglehub(target: Path) -> None:
    try:
        import kagglehub  # type: ignore[import-not-found]
    except ImportError:
        raise KaggleFetchError(
            "neither the `kaggle` CLI nor `kagglehub` is installed: run `pip install kaggle`"
        ) from None
    folder = Path(kagglehub.dataset_download(KAGGLE_DATASET))
    found = sorted(folder.rglob("*.csv"))
    if not found:
        raise KaggleFetchError(f"kagglehub downloaded {folder} but it holds no CSV file")
    shutil.copyfile(found[0], target)


def _settle_target(dest: Path, target: Path) -> None:
    """Name the one CSV of ``dest`` as ``target`` when the download used another name."""
    if target.is_file():
        return
    found = sorted(dest.glob("*.csv"))
    if len(found) != 1:
        raise KaggleFetchError(f"download finished but {target} is not there")
    found[0].rename(target)


def fetch_kaggle(
    dest: str | os.PathLike = paths.RAW_DIR,
    *,
    run: Callable[..., subprocess.CompletedProcess] = subprocess.run,
    which: Callable[[str], str | None] = shutil.which,
) -> Path:
    """Download Kaggle's "AI-Driven Consumer Behavior Dataset" into ``dest``.

    Uses the ``kaggle`` command-line client when it is installed, otherwise ``kagglehub``.
    Both need Kaggle credentials (``~/.kaggle/kaggle.json`` or ``KAGGLE_USERNAME`` and
    ``KAGGLE_KEY``). This is the only function of the package that uses the network.

    Parameters
    ----------
    dest : str or path-like, default ``data/raw``
        Folder the file is written to (created if missing).
    run : callable, default :func:`subprocess.run`
        Runs the ``kaggle`` command (replaced in tests).
    which : callable, default :func:`shutil.which`
        Finds the ``kaggle`` command (replaced in tests).

    Returns
    -------
    Path
        ``dest / "consumer_behavior_dataset.csv"``. A sha256 different from the published one
        is logged as a warning (the dataset may have been revised upstream).

    Raises
    ------
    KaggleFetchError
        With the reason and what to do about it.
    """
    dest = Path(dest)
    target = dest / KAGGLE_FILE_NAME
    if not _has_kaggle_credentials():
        raise KaggleFetchError(
            "no Kaggle credentials: create an API token at kaggle.com (Settings > API) and save it "
            "as ~/.kaggle/kaggle.json, or set KAGGLE_USERNAME and KAGGLE_KEY"
        )
    dest.mkdir(parents=True, exist_ok=True)
    if which("kaggle"):
        _download_with_cli(dest, run)
    else:
        _download_with_kagglehub(target)
    _settle_target(dest, target)
    digest = file_sha256(target)
    if digest != KAGGLE_SHA256:
        logger.warning(
            "%s has sha256 %s, not the published %s; the dataset may have changed upstream",
            target,
            digest,
            KAGGLE_SHA256,
        )
    return target
