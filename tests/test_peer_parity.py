"""Parity with peer experimentation libraries, pinned to their own published test vectors.

The peers pin old numpy/pandas and cannot be installed beside this project, so their cases are
copied here with repository, file and commit; where a value differs, the test says why.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from ecommerce_analytics import experiments as ex


def _exact_sample(mean: float, sd: float, n: int, seed: int) -> np.ndarray:
    """A sample with exactly this mean and standard deviation (ddof = 1): the summary statistics
    are all a frequentist readout of means uses."""
    z = np.random.default_rng(seed).normal(size=n)
    return mean + sd * (z - z.mean()) / z.std(ddof=1)


def test_relative_lift_matches_growthbook_gbstats_two_sided_ttest():
    # growthbook/growthbook, packages/stats/tests/frequentist/test_tests.py
    # (commit 59f39a7002864aeb31f2eca73d8a3a01da972788), TestTwoSidedTTest.test_two_sided_ttest:
    # control mean 0.41, sd 3.9, n 3407; treatment mean 0.70, sd 6.2, n 3461 ->
    # expected (relative lift) 0.70732, uplift stddev 0.37879, ci [-0.03526, 1.44989], p 0.06191.
    a, b = _exact_sample(0.41, 3.9, 3407, 1), _exact_sample(0.41 + 0.29, 6.2, 3461, 2)
    r = ex.ratio_metric(a, np.ones(len(a)), b, np.ones(len(b)))
    lift, lo, hi = r.extra["relative_lift"], r.extra["relative_ci_low"], r.extra["relative_ci_high"]
    se = (hi - lo) / (2 * stats.norm.isf(0.025))
    assert round(lift, 5) == 0.70732 and round(se, 5) == 0.37879  # same estimate, same delta-method SE
    # gbstats uses Student's t with Welch's degrees of freedom where this project uses the normal
    # reference: the bounds differ in the 4th decimal (1.96036 vs 1.95996 times the SE) ...
    assert (lo, hi) == pytest.approx((-0.03526, 1.44989), abs=3e-4)
    assert 2 * stats.norm.sf(lift / se) == pytest.approx(0.06191, abs=1e-4)
    # ... and with gbstats' t quantile the bounds and p-value are theirs to 5 decimals.
    va, vb = 3.9**2 / 3407, 6.2**2 / 3461
    df = (va + vb) ** 2 / (va**2 / 3406 + vb**2 / 3460)
    q = stats.t.isf(0.025, df)
    assert (round(lift - q * se, 5), round(lift + q * se, 5)) == (-0.03526, 1.44989)
    assert round(2 * stats.t.sf(lift / se, df), 5) == 0.06191
