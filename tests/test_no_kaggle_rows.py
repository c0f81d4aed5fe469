"""No row of the Kaggle file is committed: not in data, not in notebooks, not in reports.

The committed Kaggle run (``visualizations/reports/file-consumer_behavior_dataset/``) holds
aggregates only. This test reads every file git tracks and looks for any user or product id of the
Kaggle file, and for any whole review text (the only free-text column).
"""

from __future__ import annotations

import re
import subprocess

import pandas as pd
import pytest

from ecommerce_analytics import paths

#: A user or product id of the file, and a generated review sentence (the review column's text).
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
SENTENCE = re.compile(r"[A-Z][a-z]*(?: [a-z]+)+\.")


def _tracked_files() -> list:
    try:
        out = subprocess.run(
            ["git", "ls-files", "-z"], cwd=paths.PROJECT_ROOT, capture_output=True, check=True, timeout=60
        ).stdout
    except (OSError, subprocess.CalledProcessError) as exc:  # not a git checkout (e.g. an sdist)
        pytest.skip(f"no git checkout to inspect: {exc}")
    return [paths.PROJECT_ROOT / name for name in out.decode().split("\0") if name]


def test_no_kaggle_id_or_review_is_committed(kaggle_csv):
    rows = pd.read_csv(kaggle_csv, dtype=str)
    ids = set(rows["user_id"].dropna()) | set(rows["product_id"].dropna())
    reviews = {r for r in rows["review_text"].dropna() if len(r) >= 40}  # short reviews are stock phrases
    assert len(ids) > 5000
    found = []
    for path in _tracked_files():
        if not path.is_file() or path.suffix in {".png", ".joblib", ".sqlite"}:
            continue
        text = path.read_bytes().decode("utf-8", errors="ignore")
        hits = sorted(ids & set(UUID.findall(text))) + sorted(reviews & set(SENTENCE.findall(text)))
        if hits:
            found.append(f"{path.relative_to(paths.PROJECT_ROOT)}: {hits[:3]}")
    assert found == []


def test_the_check_finds_a_committed_id(kaggle_csv, tmp_path):
    """The patterns above do find an id and a review where one is written."""
    rows = pd.read_csv(kaggle_csv, dtype=str, nrows=5)
    text = f"user {rows.user_id[0]} wrote: {rows.review_text[0]} end"
    assert rows.user_id[0] in UUID.findall(text) and rows.review_text[0] in SENTENCE.findall(text)
