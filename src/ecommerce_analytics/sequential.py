"""Group-sequential designs: Lan-DeMets alpha spending for K looks.

O'Brien-Fleming-type, Pocock-type and power-family spending functions, for looks at equal or
unequal information fractions.

A team that plans to look at an experiment a few times (say weekly) spends its type-I error
over the looks: at look k, with information fraction ``t_k`` (the share of the planned sample
seen), the two-sided boundary ``b_k`` of the z-statistic is chosen so that the probability,
under no effect, of first crossing it at look k equals the increment of the spending function
``alpha(t_k) - alpha(t_{k-1})``. Those probabilities need the joint law of the z-statistics
over the looks (a Brownian motion in the information), computed here by the recursive
numerical integration of Armitage, McPherson & Rowe (1969), vectorized: the density of the
score statistic on the continuation region is carried from look to look on a grid with
Simpson weights.

The maximum sample size is the fixed-horizon sample size times the inflation factor
``R = (theta_gs / theta_fixed)^2``, where ``theta`` is the drift giving the target power.

References
----------
Lan, K. K. G. & DeMets, D. L. (1983). Discrete sequential boundaries for clinical trials.
*Biometrika* 70, 659-663.
Armitage, P., McPherson, C. K. & Rowe, B. C. (1969). Repeated significance tests on
accumulating data. *JRSS A* 132, 235-244.
Jennison, C. & Turnbull, B. W. (2000). *Group Sequential Methods with Applications to Clinical
Trials*. Chapman & Hall/CRC, ch. 7 (spending functions) and ch. 19 (numerical computation).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from scipy import optimize, stats

from .stats.intervals import z_critical
from .stats.validation import check_alpha, check_choice, check_positive, check_power

__all__ = [
    "SPENDING_FUNCTIONS",
    "spending_function",
    "GroupSequentialDesign",
    "group_sequential_design",
    "crossing_probabilities",
]

SPENDING_FUNCTIONS = ("obrien-fleming", "pocock", "power")
_GRID = 301  # Simpson points per look (odd): boundaries agree with 801 points to 1e-6


def spending_function(
    t: float | np.ndarray, alpha: float = 0.05, kind: str = "obrien-fleming", rho: float = 1.0
) -> np.ndarray:
    """Cumulative two-sided type-I error spent by information fraction ``t``.

    The two-sided error is spent symmetrically, ``alpha / 2`` per side, each side with the
    one-sided Lan-DeMets function at level ``alpha / 2`` (the convention of DeMets & Lan 1994,
    R ``ldbounds`` and ``gsDesign``): ``"obrien-fleming"``:
    ``2 [2 - 2 Phi(z_{1 - alpha/4} / sqrt(t))]``; ``"pocock"``: ``alpha log(1 + (e - 1) t)``;
    ``"power"``: ``alpha t^rho`` (Kim & DeMets 1987). All equal ``alpha`` at ``t = 1``.

    Parameters
    ----------
    t : float or ndarray
        Information fractions in [0, 1].
    alpha : float, default 0.05
        Type-I error spent by ``t = 1``.
    kind : {"obrien-fleming", "pocock", "power"}
        The spending function.
    rho : float, default 1.0
        Exponent of the power family (> 0).

    Returns
    -------
    ndarray
        The error spent by each ``t``.

    References
    ----------
    Lan & DeMets (1983), *Biometrika* 70, 659-663; DeMets & Lan (1994), Interim analysis: the alpha
    spending function approach, *Statistics in Medicine* 13, 1341-1352; Jennison & Turnbull (2000), 7.2.1.

    Examples
    --------
    >>> [round(float(a), 4) for a in spending_function([0.5, 1.0], kind="pocock")]
    [0.031, 0.05]
    """
    check_alpha(alpha)
    check_choice(kind, "kind", SPENDING_FUNCTIONS)
    t = np.asarray(t, dtype=float)
    if ((t < 0) | (t > 1)).any():
        raise ValueError("information fractions t must lie in [0, 1]")
    if kind == "obrien-fleming":
        with np.errstate(divide="ignore"):
            return np.where(t > 0, 4 * stats.norm.sf(z_critical(alpha / 2) / np.sqrt(np.maximum(t, 1e-300))), 0.0)
    if kind == "pocock":
        return alpha * np.log1p((np.e - 1) * t)
    if kind == "power":
        check_positive(rho, "rho")
        return alpha * t**rho
    raise AssertionError(kind)  # unreachable: kind was checked


_SQRT_2PI = np.sqrt(2 * np.pi)


def _pdf(x: np.ndarray) -> np.ndarray:
    return np.exp(-0.5 * x * x) / _SQRT_2PI


def _simpson(a: float, b: float, m: int = _GRID) -> tuple[np.ndarray, np.ndarray]:
    x = np.linspace(a, b, m)
    w = np.ones(m)
    w[1:-1:2], w[2:-1:2] = 4, 2
    return x, w * (b - a) / (3 * (m - 1))


def _check_fractions(fractions: Sequence[float]) -> np.ndarray:
    t = np.asarray(fractions, dtype=float)
    if t.ndim != 1 or len(t) < 1 or (t <= 0).any() or (np.diff(t) <= 0).any() or not np.isclose(t[-1], 1.0):
        raise ValueError(
            f"information_fractions must increase strictly from above 0 to exactly 1, got {list(np.round(t, 4))}"
        )
    return t


def crossing_probabilities(
    boundaries: Sequence[float], information_fractions: Sequence[float], drift: float = 0.0, sides: int = 2
) -> np.ndarray:
    """Probability of first crossing ``|Z_k| >= b_k`` (``Z_k >= b_k`` with ``sides=1``) at each look.

    ``Z_k = S_k / sqrt(t_k)`` with ``S`` a Brownian motion with ``drift`` per unit information
    (``drift = E[Z]`` of the fixed-horizon test at ``t = 1``). Recursive integration
    (Armitage, McPherson & Rowe 1969) on a Simpson grid, vectorized with numpy.

    Parameters
    ----------
    boundaries : sequence of float
        z boundary of each look.
    information_fractions : sequence of float
        Increasing fractions ending at 1, one per look.
    drift : float, default 0.0
        ``E[Z]`` at full information (0: under H0).
    sides : {1, 2}
        Two-sided (``|Z|``) or upper one-sided crossing.

    Returns
    -------
    ndarray
        Probability of first crossing at each look (their sum is the overall rejection rate).

    References
    ----------
    Armitage, McPherson & Rowe (1969), *JRSS A* 132, 235-244; Jennison & Turnbull (2000), ch. 19.

    Examples
    --------
    >>> round(float(crossing_probabilities([1.959964], [1.0]).sum()), 4)
    0.05
    """
    b = np.asarray(boundaries, dtype=float)
    t = _check_fractions(information_fractions)
    if b.shape != t.shape:
        raise ValueError("boundaries and information_fractions need one entry per look")
    if sides not in (1, 2):
        raise ValueError(f"sides must be 1 or 2, got {sides}")
    if not np.isfinite(drift):
        raise ValueError(f"drift must be a finite number, got {drift!r}")
    return _crossing(b, t, drift, sides)


def _recursion(
    t: np.ndarray, drift: float, sides: int, boundaries: np.ndarray | None = None, increments: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Armitage-McPherson-Rowe recursion over the looks.

    With ``increments`` (under H0), solves each look's boundary so that the probability of
    first crossing there equals the increment; with ``boundaries``, computes those
    probabilities under ``drift``. The density of ``S_k`` on the continuation region is carried
    forward on a Simpson grid (one matrix-vector product per look). One-sided designs truncate
    the region below at 12 standard deviations under the mean (mass < 1e-32).
    Returns ``(boundaries, crossing probabilities)``.
    """
    K = len(t)
    b = np.empty(K) if boundaries is None else np.asarray(boundaries, dtype=float)
    probs = np.empty(K)
    grid = weights = dens = None
    prev_t = 0.0

    def crossing(x, mean, sd, tk):
        edge = x * np.sqrt(tk)
        upper = stats.norm.sf((edge - mean) / sd)
        return upper + stats.norm.cdf((-edge - mean) / sd) if sides == 2 else upper

    for k, tk in enumerate(t):
        dt = tk - prev_t
        sd = np.sqrt(dt)
        mean = drift * tk if k == 0 else grid + drift * dt

        def prob(x, mean=mean, sd=sd, tk=tk, first=k == 0, w=weights, f=dens):
            c = crossing(x, mean, sd, tk)
            return float(c) if first else float(np.sum(w * f * c))

        if increments is not None:
            if increments[k] <= 1e-15:
                b[k] = 40.0  # nothing to spend at this look: an unreachable boundary
            elif k == 0:
                b[k] = stats.norm.isf(increments[k] / sides)
            else:
                b[k] = optimize.brentq(lambda x, inc=increments[k]: prob(x) - inc, 0.0, 40.0, xtol=1e-12)
        probs[k] = prob(b[k])
        edge = b[k] * np.sqrt(tk)
        low = -edge if sides == 2 else drift * tk - 12 * np.sqrt(tk)
        new_grid, new_weights = _simpson(low, edge)
        if k == 0:
            dens = _pdf((new_grid - mean) / sd) / sd
        else:
            dens = (_pdf((new_grid[:, None] - mean[None, :]) / sd) / sd) @ (weights * dens)
        grid, weights, prev_t = new_grid, new_weights, tk
    return b, probs


def _crossing(b: np.ndarray, t: np.ndarray, drift: float, sides: int = 2) -> np.ndarray:
    return _recursion(t, drift, sides, boundaries=b)[1]


@dataclass(frozen=True)
class GroupSequentialDesign:
    """A group-sequential design with Lan-DeMets alpha spending (efficacy boundaries only).

    Attributes
    ----------
    spending, rho : str, float
        Spending function (and the exponent of the power family).
    alpha, power, sides : float, float, int
        Type-I error over all looks (two-sided when ``sides == 2``), target power, sides.
    information_fractions : tuple of float
        ``t_k``, the share of the maximum sample at each look (the last is 1).
    boundaries : tuple of float
        z boundaries: stop and reject at the first look with ``|Z_k| >= b_k`` (``Z_k >= b_k``
        one-sided).
    nominal_alpha : tuple of float
        Nominal significance level of each look's boundary (two-sided when ``sides == 2``).
    cumulative_alpha : tuple of float
        Type-I error spent up to each look (the spending function at ``t_k``).
    cumulative_power : tuple of float
        Probability of having rejected by each look under the design's alternative.
    drift : float
        ``E[Z]`` at the maximum information under the alternative that gives ``power``.
    inflation_factor : float
        Maximum sample size over the fixed-horizon sample size for the same power.
    expected_sample_fraction_h1, expected_sample_fraction_h0 : float
        Expected sample size over the fixed-horizon one, under the alternative and under H0.
    """

    spending: str
    rho: float
    alpha: float
    power: float
    sides: int
    information_fractions: tuple
    boundaries: tuple
    nominal_alpha: tuple
    cumulative_alpha: tuple
    cumulative_power: tuple
    drift: float
    inflation_factor: float
    expected_sample_fraction_h1: float
    expected_sample_fraction_h0: float
    method: str = "Lan-DeMets alpha spending, recursive numerical integration (Armitage-McPherson-Rowe)"

    def to_dict(self) -> dict:
        """The design as a dict (its fields)."""
        return asdict(self)

    def to_frame(self) -> pd.DataFrame:
        """One row per look: fraction, z boundary, nominal alpha, alpha spent, cumulative power."""
        return pd.DataFrame(
            {
                "look": np.arange(1, len(self.boundaries) + 1),
                "information_fraction": self.information_fractions,
                "z_boundary": self.boundaries,
                "nominal_alpha": self.nominal_alpha,
                "cumulative_alpha": self.cumulative_alpha,
                "cumulative_power": self.cumulative_power,
            }
        )

    def max_sample_size(self, fixed_sample_size: float) -> int:
        """Units (per arm) at the last look: the fixed-horizon size times the inflation factor.

        Parameters
        ----------
        fixed_sample_size : float
            Units per arm of the fixed-horizon test with the same power (> 0).

        Returns
        -------
        int
            Units per arm at the last look, rounded up.
        """
        if not fixed_sample_size > 0:
            raise ValueError(f"fixed_sample_size must be positive, got {fixed_sample_size}")
        return int(np.ceil(fixed_sample_size * self.inflation_factor - 1e-9))

    def expected_sample_fraction(self, effect_ratio: float) -> float:
        """Expected sample size over the fixed-horizon one, for a true effect ``effect_ratio`` times the design's.

        Parameters
        ----------
        effect_ratio : float
            The true effect over the planned one (0: no effect; 1: the planned effect).

        Returns
        -------
        float
            Expected units over the fixed-horizon sample size.
        """
        if not np.isfinite(effect_ratio):
            raise ValueError(f"effect_ratio must be a finite number, got {effect_ratio!r}")
        return _expected(
            np.asarray(self.boundaries),
            np.asarray(self.information_fractions),
            effect_ratio * self.drift,
            self.sides,
            self.inflation_factor,
        )

    def first_rejection(self, z_values: Sequence[float]) -> int | None:
        """The 1-based look at which the boundary is first crossed, or None.

        Parameters
        ----------
        z_values : sequence of float
            The z statistic at each look so far.

        Returns
        -------
        int or None
            The first look with ``|z| >= b`` (``z >= b`` one-sided), or None.
        """
        z = np.asarray(z_values, dtype=float)
        z = np.abs(z) if self.sides == 2 else z
        hit = np.flatnonzero(z >= np.asarray(self.boundaries)[: len(z)])
        return int(hit[0]) + 1 if len(hit) else None


def _expected(b: np.ndarray, t: np.ndarray, drift: float, sides: int, inflation: float) -> float:
    pr = _crossing(b, t, drift, sides)
    return float(inflation * (np.sum(pr[:-1] * t[:-1]) + (1 - pr[:-1].sum())))


def group_sequential_design(
    looks: int | None = None,
    *,
    information_fractions: Sequence[float] | None = None,
    alpha: float = 0.05,
    power: float = 0.9,
    spending: str = "obrien-fleming",
    rho: float = 1.0,
    sides: int = 2,
) -> GroupSequentialDesign:
    """Lan-DeMets group-sequential design (symmetric two-sided by default).

    Parameters
    ----------
    looks : int, optional
        Number of equally spaced looks (``t_k = k / K``); or give ``information_fractions``.
    information_fractions : sequence of float, optional
        Increasing fractions ending at 1 (unequal looks).
    alpha : float
        Type-I error spent over all looks (two-sided when ``sides == 2``, half per side).
    power : float
        Target power, for the inflation factor and the cumulative power per look.
    spending : {"obrien-fleming", "pocock", "power"}
        Lan-DeMets spending function of the O'Brien-Fleming or Pocock type, or the power
        family ``alpha t^rho`` (Kim & DeMets 1987; Jennison & Turnbull 2000, 7.2.1).
    rho : float
        Exponent of the power family (ignored otherwise).
    sides : {1, 2}
        Two-sided symmetric boundaries, or one-sided (upper) boundaries.

    Returns
    -------
    GroupSequentialDesign

    References
    ----------
    Lan & DeMets (1983), *Biometrika* 70, 659-663; Kim & DeMets (1987), *Biometrika* 74,
    149-154; Jennison & Turnbull (2000), ch. 7 and 19.

    Examples
    --------
    >>> d = group_sequential_design(5)
    >>> [round(b, 3) for b in d.boundaries]
    [4.877, 3.357, 2.68, 2.29, 2.031]
    """
    check_alpha(alpha)
    check_power(power)
    check_choice(spending, "spending", SPENDING_FUNCTIONS)
    if sides not in (1, 2):
        raise ValueError(f"sides must be 1 or 2, got {sides}")
    if (looks is None) == (information_fractions is None):
        raise ValueError("give exactly one of looks and information_fractions")
    if looks is not None:
        if int(looks) != looks or looks < 1 or looks > 50:
            raise ValueError(f"looks must be an integer between 1 and 50, got {looks}")
        t = np.arange(1, int(looks) + 1) / int(looks)
    else:
        t = _check_fractions(information_fractions)
    # Two-sided: each side spends the one-sided function at alpha / 2 (DeMets & Lan 1994).
    spent = spending_function(t, alpha if sides == 2 else 2 * alpha, spending, rho) / (1 if sides == 2 else 2)
    spent[-1] = alpha
    b, _ = _recursion(t, 0.0, sides, increments=np.diff(np.concatenate([[0.0], spent])))
    z_a = z_critical(alpha, "two-sided" if sides == 2 else "larger")
    fixed = lambda th: stats.norm.sf(z_a - th) + (stats.norm.cdf(-z_a - th) if sides == 2 else 0.0)
    theta_fixed = optimize.brentq(lambda th: fixed(th) - power, 0.0, 20.0, xtol=1e-12)
    theta = optimize.brentq(lambda th: _crossing(b, t, th, sides).sum() - power, 0.0, 20.0, xtol=1e-12)
    inflation = (theta / theta_fixed) ** 2
    p1 = _crossing(b, t, theta, sides)
    return GroupSequentialDesign(
        spending,
        float(rho),
        float(alpha),
        float(power),
        sides,
        tuple(map(float, t)),
        tuple(map(float, b)),
        tuple(float(sides * stats.norm.sf(x)) for x in b),
        tuple(map(float, spent)),
        tuple(map(float, np.cumsum(p1))),
        float(theta),
        float(inflation),
        _expected(b, t, theta, sides, inflation),
        _expected(b, t, 0.0, sides, inflation),
    )
