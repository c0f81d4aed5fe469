"""Validity checks before reading an experiment: sample-ratio mismatch."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from scipy import stats

from ..stats.validation import check_alpha, check_counts, check_open_unit

__all__ = ["SRMResult", "srm_check"]


@dataclass(frozen=True)
class SRMResult:
    """Result of :func:`srm_check`: the arm sizes against the design's split.

    Attributes
    ----------
    n_control, n_treatment : int
        Units per arm.
    expected_share_treatment, observed_share_treatment : float
        The designed and the observed share of units in treatment.
    chi2, p_value : float
        Chi-square goodness-of-fit statistic and p-value.
    threshold : float
        P-value below which the split is flagged.
    """

    n_control: int
    n_treatment: int
    expected_share_treatment: float
    observed_share_treatment: float
    chi2: float
    p_value: float
    threshold: float = 0.001

    @property
    def mismatch(self) -> bool:
        """True when the split is too unlikely under the design: stop and debug before reading."""
        return self.p_value < self.threshold

    def to_dict(self) -> dict:
        """The fields and ``mismatch`` as a dict."""
        return {**asdict(self), "mismatch": self.mismatch}


def srm_check(
    n_control: int, n_treatment: int, expected_share_treatment: float = 0.5, threshold: float = 0.001
) -> SRMResult:
    """Sample-ratio-mismatch check: chi-square goodness of fit of the arm sizes to the design.

    Parameters
    ----------
    n_control, n_treatment : int
        Units per arm (at least one in all).
    expected_share_treatment : float, default 0.5
        The designed share of units in treatment, in (0, 1).
    threshold : float, default 0.001
        Flag the split at ``p < threshold`` (0.001, as large experimentation platforms do).

    Returns
    -------
    SRMResult
        The test and ``mismatch``.

    References
    ----------
    Fabijan, A. et al. (2019). Diagnosing sample ratio mismatch in online controlled experiments.
    *KDD 2019*, 2156-2164.

    Examples
    --------
    >>> srm_check(5000, 5200).mismatch
    False
    >>> srm_check(5000, 5600).mismatch
    True
    """
    check_counts(n_treatment, n_control + n_treatment, "srm_check")
    check_open_unit(expected_share_treatment, "expected_share_treatment")
    check_alpha(threshold, "threshold")
    total = n_control + n_treatment
    expected = [total * (1 - expected_share_treatment), total * expected_share_treatment]
    chi2, p = stats.chisquare([n_control, n_treatment], expected)
    return SRMResult(
        int(n_control),
        int(n_treatment),
        expected_share_treatment,
        n_treatment / total,
        float(chi2),
        float(p),
        threshold,
    )
