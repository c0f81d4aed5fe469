"""Parameter checks shared by the modeling modules."""

from __future__ import annotations


def check_alpha(alpha: float) -> float:
    """``alpha`` as a float, or ``ValueError`` unless it lies strictly between 0 and 1."""
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not 0 < alpha < 1:
        raise ValueError(f"alpha must be a number strictly between 0 and 1 (e.g. 0.05), got {alpha!r}")
    return float(alpha)
