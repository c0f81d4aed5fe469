"""A/B test statistics: design, validity, effects, variance reduction, monitoring, multiple testing.

Also guardrails and a Bayesian readout. Every function returns a result object with the estimate, its confidence interval, the
p-value and the sizes of the arms. statsmodels and scipy do the computing wherever they
already compute the thing; the rest (score intervals by test inversion, delta method for ratio
metrics, CUPED, mSPRT, bucket and BCa bootstrap) is implemented here and tested against
simulation and published values. Tests and intervals come from one statistic, so they never
disagree; sample sizes are planned for the test the readout runs (pooled z for proportions,
Welch/t for means); group-sequential designs live in :mod:`ecommerce_analytics.sequential`.
Arms are "control" (A) and "treatment" (B); differences are treatment minus control. Every
function that builds an interval or a test takes ``alpha=`` (default 0.05).

Modules, by concern: :mod:`.design` (power, sample size, MDE), :mod:`.validity` (sample-ratio
mismatch), :mod:`.proportions` (score test and intervals), :mod:`.means` (Welch, covariate
balance), :mod:`.ratio` (delta method), :mod:`.variance_reduction` (CUPED), :mod:`.bootstrap`,
:mod:`.multiple` (adjusted p-values, segment effects), :mod:`.monitoring` (mSPRT),
:mod:`.guardrails` (non-inferiority), :mod:`.bayesian`, :mod:`.simulation` (calibration study),
:mod:`.units` (shaping sessions into experiment units); :class:`EffectResult` is in
:mod:`.results`. Every public name is importable from this package.
"""

from ..stats.score import invert_statistic as _invert  # noqa: F401  (earlier code reached these private names)
from ..stats.score import score_z_difference as _score_z_diff  # noqa: F401
from ..stats.score import score_z_ratio as _score_z_ratio  # noqa: F401
from .bayesian import bayesian_proportions
from .bootstrap import (
    _bca_limits,  # noqa: F401
    bootstrap_mean_difference,
)
from .design import mde_means, mde_proportions, power_proportions, sample_size_means, sample_size_proportions
from .guardrails import non_inferiority
from .means import balance_check, welch_test
from .monitoring import (
    _msprt_log_lambda,  # noqa: F401
    msprt_proportions,
)
from .multiple import adjust_pvalues, segment_effects
from .proportions import score_test_proportions, two_proportions
from .ratio import ratio_metric
from .results import EffectResult
from .simulation import binomial_rate, calibration_study
from .units import daily_looks, experiment_units
from .validity import SRMResult, srm_check  # noqa: F401  (SRMResult: the type srm_check returns)
from .variance_reduction import cuped

__all__ = [
    "EffectResult",
    "sample_size_proportions",
    "power_proportions",
    "mde_proportions",
    "sample_size_means",
    "mde_means",
    "srm_check",
    "two_proportions",
    "ratio_metric",
    "welch_test",
    "bootstrap_mean_difference",
    "cuped",
    "balance_check",
    "msprt_proportions",
    "adjust_pvalues",
    "segment_effects",
    "non_inferiority",
    "bayesian_proportions",
    "calibration_study",
    "binomial_rate",
    "score_test_proportions",
    "experiment_units",
    "daily_looks",
]
