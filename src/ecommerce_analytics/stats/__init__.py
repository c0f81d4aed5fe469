"""Statistics primitives shared by the analysis modules.

Nothing here imports from the rest of the package: :mod:`.metrics`, :mod:`.experiments`,
:mod:`.causal` and the others build on these.

- :mod:`.result`: :class:`EstimateResult`, the base of every estimate with an interval.
- :mod:`.validation`: parameter checks that raise ``ValueError`` naming the parameter.
- :mod:`.intervals`: :func:`z_critical`, Wilson (:func:`proportion`), Newcombe
  (:func:`rate_difference`) and Student-t (:func:`mean`) intervals, :class:`Estimate`.
- :mod:`.score`: score statistics for two proportions and the intervals that invert them.
"""

from .intervals import Estimate, mean, proportion, rate_difference, z_critical
from .result import EstimateResult, alpha_of
from .score import invert_statistic, score_test_proportions, score_z_difference, score_z_ratio
from .validation import (
    ALTERNATIVES,
    check_alpha,
    check_choice,
    check_counts,
    check_min_count,
    check_open_unit,
    check_positive,
    check_power,
    resolve_confidence,
)

__all__ = [
    "EstimateResult",
    "Estimate",
    "alpha_of",
    "z_critical",
    "proportion",
    "rate_difference",
    "mean",
    "score_z_difference",
    "score_z_ratio",
    "invert_statistic",
    "score_test_proportions",
    "ALTERNATIVES",
    "check_alpha",
    "check_power",
    "check_open_unit",
    "check_choice",
    "check_positive",
    "check_min_count",
    "check_counts",
    "resolve_confidence",
]
