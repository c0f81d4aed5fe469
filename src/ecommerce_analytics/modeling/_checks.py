"""Parameter checks shared by the modeling modules."""

from __future__ import annotations

import numpy as np
import pandas as pd


def check_alpha(alpha: float) -> float:
    """``alpha`` as a float, or ``ValueError`` unless it lies strictly between 0 and 1."""
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not 0 < alpha < 1:
        raise ValueError(f"alpha must be a number strictly between 0 and 1 (e.g. 0.05), got {alpha!r}")
    return float(alpha)


def check_n_jobs(n_jobs: int) -> int:
    """``n_jobs`` as an int, or ``ValueError`` unless it is a positive integer or -1 (all cores)."""
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, (int, np.integer)) or not (n_jobs >= 1 or n_jobs == -1):
        raise ValueError(f"n_jobs must be a positive integer or -1 (all cores), got {n_jobs!r}")
    return int(n_jobs)


_TRUE = frozenset({"yes", "true", "1", "y", "t"})
_FALSE = frozenset({"no", "false", "0", "n", "f"})


def _binary_value(v: object) -> int | None:
    """0 or 1 for a value that reads as a binary outcome, ``None`` otherwise."""
    if isinstance(v, (bool, np.bool_)):
        return int(v)
    if isinstance(v, (int, float, np.integer, np.floating)):
        return int(v) if v in (0, 1) else None
    if isinstance(v, str):
        s = v.strip().lower()
        return 1 if s in _TRUE else 0 if s in _FALSE else None
    return None


def binary_target(y: object, name: str = "y") -> np.ndarray:
    """A binary outcome as an int array of 0/1, or a one-line ``ValueError`` naming ``name``.

    Accepts a Series, array or list of bools, 0/1 numbers (ints or floats) or the strings
    yes/no, true/false (any case, surrounding spaces ignored). Missing or other values raise.

    Examples
    --------
    >>> binary_target(["Yes", "no", "TRUE"]).tolist()
    [1, 0, 1]
    >>> binary_target([0, 1, 2], "target 'y'")
    Traceback (most recent call last):
    ...
    ValueError: target 'y' must be binary (0/1, True/False or yes/no); found values: [0, 1, 2]
    """
    raw = np.asarray(y.to_numpy() if isinstance(y, pd.Series | pd.Index) else y)
    if raw.ndim == 1 and (raw.dtype == bool or (raw.dtype.kind in "iu" and np.isin(raw, (0, 1)).all())):
        return raw.astype(np.int64)
    arr = raw.astype(object)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    mapped = [_binary_value(v) for v in arr]
    if any(m is None for m in mapped):
        found = sorted(pd.unique(pd.Series(arr, dtype=object)), key=lambda v: (not isinstance(v, str), str(v)))
        values = "[" + ", ".join(repr(v) if isinstance(v, str) else str(v) for v in found[:20]) + "]"
        more = f" (and {len(found) - 20} more)" if len(found) > 20 else ""
        raise ValueError(f"{name} must be binary (0/1, True/False or yes/no); found values: {values}{more}")
    return np.asarray(mapped, dtype=np.int64)


def target_and_scores(y: object, *scores: object) -> tuple[np.ndarray, ...]:
    """``y`` as 0/1 ints (:func:`binary_target`) and each score array as floats of the same length.

    Examples
    --------
    >>> y, p = target_and_scores(["no", "yes"], [0.2, 0.9])
    >>> y.tolist(), p.tolist()
    ([0, 1], [0.2, 0.9])
    >>> target_and_scores([0, 1], [0.5])
    Traceback (most recent call last):
    ...
    ValueError: y and the scores must have the same length, got 2 and 1
    """
    target = binary_target(y, "y")
    out = [target]
    for s in scores:
        arr = np.asarray(s.to_numpy() if isinstance(s, pd.Series | pd.Index) else s, dtype=float)
        if arr.ndim != 1 or len(arr) != len(target):
            raise ValueError(f"y and the scores must have the same length, got {len(target)} and {len(arr)}")
        out.append(arr)
    return tuple(out)
