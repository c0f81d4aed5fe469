"""Experiment design: power, sample size and minimum detectable effect.

Sample sizes are planned for the test the readout runs: the pooled two-proportion z-test
(:func:`.two_proportions`) for rates, the two-sample t-test (Welch with unequal standard
deviations, :func:`.welch_test`) for means.
"""

from __future__ import annotations

import numpy as np
from scipy import optimize, stats
from statsmodels.stats.power import TTestIndPower
from statsmodels.stats.proportion import power_proportions_2indep

from ..stats.intervals import z_critical
from ..stats.validation import ALTERNATIVES, check_alpha, check_choice, check_open_unit, check_positive, check_power

__all__ = ["power_proportions", "sample_size_proportions", "mde_proportions", "sample_size_means", "mde_means"]

_TESTS = ("pooled", "unpooled")


def _check_design(alpha: float, power: float | None = None, ratio: float = 1.0, alternative: str = "two-sided") -> None:
    check_alpha(alpha)
    if power is not None:
        check_power(power)
    check_positive(ratio, "ratio")
    check_choice(alternative, "alternative", ALTERNATIVES)


def _check_direction(mde: float, alternative: str) -> None:
    """A one-sided plan tests one direction: the planned change must point that way."""
    if (alternative == "larger" and mde < 0) or (alternative == "smaller" and mde > 0):
        raise ValueError(
            f"alternative={alternative!r} tests for {'an increase' if alternative == 'larger' else 'a decrease'} "
            f"but mde is {mde:+g}; use alternative={'smaller' if alternative == 'larger' else 'larger'!r} "
            "or 'two-sided'"
        )


def _check_rates(p_control: float, mde: float) -> float:
    p_t = p_control + mde
    if not (0 < p_control < 1 and 0 < p_t < 1) or mde == 0:
        raise ValueError("p_control and p_control + mde must lie strictly between 0 and 1, and mde must not be 0")
    return p_t


def _power_pooled(
    p_control: float, mde: float, n_control: float, alpha: float, ratio: float, alternative: str
) -> float:
    # statsmodels' alternative refers to p_treatment - p_control; the tested side must be the one of mde.
    alt = alternative if alternative == "two-sided" else ("larger" if mde > 0 else "smaller")
    return float(power_proportions_2indep(mde, p_control, n_control, ratio=ratio, alpha=alpha, alternative=alt).power)


def power_proportions(
    p_control: float,
    mde: float,
    n_control: float,
    *,
    alpha: float = 0.05,
    ratio: float = 1.0,
    alternative: str = "two-sided",
    test: str = "pooled",
) -> float:
    """Power of the two-proportion z-test for an absolute change ``mde`` of a rate ``p_control``.

    Parameters
    ----------
    p_control, mde : float
        Control rate and absolute change (treatment rate ``p_control + mde``), both rates in (0, 1).
    n_control : float
        Units in control (> 0); treatment has ``ratio * n_control``.
    alpha : float, default 0.05
        Type-I error rate (two-sided unless ``alternative`` says otherwise).
    ratio : float, default 1.0
        Treatment units per control unit (> 0).
    alternative : {"two-sided", "larger", "smaller"}
        Sidedness; a one-sided plan must point the way of ``mde``.
    test : {"pooled", "unpooled"}
        ``"pooled"`` (default) is the test :func:`.two_proportions` runs (pooled variance under H0,
        the score test), computed by :func:`statsmodels.stats.proportion.power_proportions_2indep`;
        ``"unpooled"`` is the Wald test with unpooled variances (Chow, Shao & Wang 2008, 4.2).

    Returns
    -------
    float
        The probability of rejecting H0 when the change is ``mde``.

    References
    ----------
    Fleiss, Levin & Paik (2003), *Statistical Methods for Rates and Proportions*, 3rd ed., 4.2;
    R ``stats::power.prop.test``.

    Examples
    --------
    >>> round(power_proportions(0.5, 0.25, 77, alpha=0.05), 3)
    0.901
    """
    _check_design(alpha, None, ratio, alternative)
    check_choice(test, "test", _TESTS)
    check_positive(n_control, "n_control")
    _check_direction(mde, alternative)
    p_t = _check_rates(p_control, mde)
    if test == "pooled":
        return _power_pooled(p_control, mde, n_control, alpha, ratio, alternative)
    se = np.sqrt(p_control * (1 - p_control) / n_control + p_t * (1 - p_t) / (ratio * n_control))
    return float(stats.norm.cdf(abs(mde) / se - z_critical(alpha, alternative)))


def sample_size_proportions(
    p_control: float,
    mde: float,
    *,
    alpha: float = 0.05,
    power: float = 0.8,
    ratio: float = 1.0,
    alternative: str = "two-sided",
    test: str = "pooled",
    exact: bool = False,
) -> tuple:
    """Units per arm for the two-proportion z-test to detect an absolute change ``mde`` of ``p_control``.

    Solves :func:`power_proportions` (same ``test``) for ``n_control``; ``n_treatment = ratio * n_control``.

    Parameters
    ----------
    p_control, mde : float
        Control rate and absolute change to detect.
    alpha : float, default 0.05
        Type-I error rate.
    power : float, default 0.8
        Target power, in (0, 1).
    ratio : float, default 1.0
        Treatment units per control unit.
    alternative : {"two-sided", "larger", "smaller"}
        Sidedness of the test.
    test : {"pooled", "unpooled"}
        As in :func:`power_proportions`.
    exact : bool, default False
        Return the unrounded solutions.

    Returns
    -------
    tuple
        ``(n_control, n_treatment)`` rounded up (floats with ``exact=True``).

    References
    ----------
    Fleiss, Levin & Paik (2003), 4.2; Chow, Shao & Wang (2008), *Sample Size Calculations in
    Clinical Research*, 4.2 (the unpooled version).

    Examples
    --------
    With the pooled test, p1 = 0.50, p2 = 0.75 and power 0.90 give 76.7 per group, as R's
    ``power.prop.test``:

    >>> [round(n, 1) for n in sample_size_proportions(0.5, 0.25, power=0.9, exact=True)]
    [76.7, 76.7]
    """
    _check_design(alpha, power, ratio, alternative)
    check_choice(test, "test", _TESTS)
    _check_direction(mde, alternative)
    _check_rates(p_control, mde)
    f = lambda n: (
        power_proportions(p_control, mde, n, alpha=alpha, ratio=ratio, alternative=alternative, test=test) - power
    )
    n_c = float(optimize.brentq(f, 1.0, 1e12, xtol=1e-9))
    if exact:
        return n_c, ratio * n_c
    n_c_int = int(np.ceil(n_c - 1e-9))
    return n_c_int, int(np.ceil(ratio * n_c_int - 1e-9))


def mde_proportions(
    p_control: float,
    n_control: int,
    *,
    alpha: float = 0.05,
    power: float = 0.8,
    ratio: float = 1.0,
    alternative: str = "two-sided",
    test: str = "pooled",
) -> float:
    """Smallest absolute change of ``p_control`` detectable with ``n_control`` users in control.

    The inverse of :func:`power_proportions` (same test): an increase, or a decrease (returned
    negative) with ``alternative="smaller"``.

    Parameters
    ----------
    p_control : float
        Control rate, in (0, 1).
    n_control : int
        Units in control (> 0); treatment has ``ratio * n_control``.
    alpha, power, ratio, alternative, test
        As in :func:`sample_size_proportions`.

    Returns
    -------
    float
        The absolute change detected with probability ``power``.

    Examples
    --------
    >>> round(mde_proportions(0.5, 77, power=0.9), 3)
    0.25
    """
    _check_design(alpha, power, ratio, alternative)
    check_choice(test, "test", _TESTS)
    check_open_unit(p_control, "p_control")
    check_positive(n_control, "n_control")
    sign = -1.0 if alternative == "smaller" else 1.0
    room = p_control if alternative == "smaller" else 1 - p_control
    f = lambda d: (
        power_proportions(p_control, sign * d, n_control, alpha=alpha, ratio=ratio, alternative=alternative, test=test)
        - power
    )
    if f(room - 1e-9) < 0:
        raise ValueError(
            f"no change of p_control={p_control} reaches power {power} with n_control={n_control}: increase n_control"
        )
    return float(sign * optimize.brentq(f, 1e-9, room - 1e-9))


def _t_effect_size(sd: float, mde: float, ratio: float, sd_treatment: float | None) -> float:
    check_positive(sd, "sd")
    if sd_treatment is not None:
        check_positive(sd_treatment, "sd_treatment")
    if not np.isfinite(mde) or mde == 0:
        raise ValueError(f"mde must be a finite non-zero number, got {mde!r}")
    if sd_treatment is None:
        return abs(mde) / sd
    # Welch: Var(diff) = sd_c^2 / n + sd_t^2 / (r n); TTestIndPower's d enters as d^2 / (1/n + 1/(r n)).
    return abs(mde) * np.sqrt((1 + 1 / ratio) / (sd**2 + sd_treatment**2 / ratio))


def sample_size_means(
    sd: float,
    mde: float,
    *,
    alpha: float = 0.05,
    power: float = 0.8,
    ratio: float = 1.0,
    alternative: str = "two-sided",
    sd_treatment: float | None = None,
) -> tuple[int, int]:
    """Units per arm to detect a difference ``mde`` of means with standard deviation ``sd``.

    Two-sample t-test power from :class:`statsmodels.stats.power.TTestIndPower`; with
    ``sd_treatment`` (unequal variances, the Welch test :func:`.welch_test` runs) the effect size
    is standardized by the Welch standard error of the difference.

    Parameters
    ----------
    sd : float
        Standard deviation of the metric (of control with ``sd_treatment``), > 0.
    mde : float
        Difference of means to detect (non-zero; its sign must match a one-sided ``alternative``).
    alpha, power, ratio, alternative
        As in :func:`sample_size_proportions`.
    sd_treatment : float, optional
        Standard deviation in treatment, if different.

    Returns
    -------
    tuple of int
        ``(n_control, n_treatment)``, rounded up.

    References
    ----------
    Cohen (1988), *Statistical Power Analysis for the Behavioral Sciences*, 2nd ed., ch. 2.

    Examples
    --------
    >>> sample_size_means(1.0, 0.5, power=0.8)
    (64, 64)
    """
    _check_design(alpha, power, ratio, alternative)
    _check_direction(mde, alternative)
    d = _t_effect_size(sd, mde, ratio, sd_treatment)
    n1 = TTestIndPower().solve_power(
        effect_size=d,
        alpha=alpha,
        power=power,
        ratio=ratio,
        alternative="larger" if alternative != "two-sided" else "two-sided",
    )
    n1 = int(np.ceil(n1 - 1e-9))
    return n1, int(np.ceil(ratio * n1 - 1e-9))


def mde_means(
    sd: float,
    n_control: int,
    *,
    alpha: float = 0.05,
    power: float = 0.8,
    ratio: float = 1.0,
    alternative: str = "two-sided",
) -> float:
    """Smallest detectable difference of means with ``n_control`` units in control.

    Parameters
    ----------
    sd : float
        Standard deviation of the metric, > 0.
    n_control : int
        Units in control, at least 2.
    alpha, power, ratio, alternative
        As in :func:`sample_size_means` (one-sided plans give the size of the change in
        their direction, as a positive number).

    Returns
    -------
    float
        The difference of means detected with probability ``power``.

    Examples
    --------
    >>> round(mde_means(1.0, 64), 3)
    0.499
    """
    _check_design(alpha, power, ratio, alternative)
    check_positive(sd, "sd")
    if check_positive(n_control, "n_control") < 2:
        raise ValueError(f"n_control must be a number >= 2, got {n_control!r}")
    d = TTestIndPower().solve_power(
        nobs1=n_control,
        alpha=alpha,
        power=power,
        ratio=ratio,
        alternative="larger" if alternative != "two-sided" else "two-sided",
    )
    return float(d * sd)
