"""Calibration study: 10,000 simulations per check; each rate's 99% interval must contain its nominal value."""

from __future__ import annotations

import pytest

from ecommerce_analytics import calibration as cal


@pytest.mark.slow
def test_every_check_is_calibrated_over_10000_simulations():
    table = cal.calibration_checks(10_000, seed=2026, bootstrap_sims=0)
    assert (table.n_sims == 10_000).all() and len(table) == 8
    # Each rate's interval is the 99% Wilson interval of its count (statsmodels, independently).
    from statsmodels.stats.proportion import proportion_confint

    for row in table.itertuples():
        lo, hi = proportion_confint(round(row.estimate * row.n_sims), row.n_sims, alpha=0.01, method="wilson")
        assert (row.ci_low, row.ci_high) == pytest.approx((lo, hi), abs=1e-9), row.check
    bad = table[~table.consistent]
    assert bad.empty, bad[["check", "estimate", "ci_low", "ci_high", "nominal"]].to_string()


@pytest.mark.slow
def test_bca_bootstrap_coverage_over_10000_simulations():
    """Known limit, documented rather than hidden: at 100 units per arm with skewed metrics (gamma, skewness 1)
    the BCa interval covers about 94.3% (measured 94.0% and 94.6% with two seeds), slightly below 95%:
    the bootstrap's small-sample narrowness, which BCa corrects for skewness but not for tail weight."""
    cover = cal.bootstrap_coverage(10_000, seed=18)
    assert 0.935 < cover.mean() < 0.955
