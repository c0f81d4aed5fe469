"""One base class for estimates with a confidence interval.

:class:`EstimateResult` carries what every estimate of the package has: the estimate, its
interval, the p-value (None when no test goes with it), the units it is computed on, the
method and the significance level ``alpha`` (the interval's confidence is ``1 - alpha``).
The package's result classes (``metrics.Estimate``, ``experiments.EffectResult``,
``causal.CausalEstimate``) are subclasses that keep their own constructor order and their own
``to_dict()`` keys; :meth:`EstimateResult.summary` gives all of them one tidy row.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from typing import Any, ClassVar

import numpy as np
import pandas as pd

__all__ = ["EstimateResult", "alpha_of"]

_SUMMARY_COLUMNS = ("method", "estimate", "ci_low", "ci_high", "p_value", "n", "alpha")


def alpha_of(confidence: float) -> float:
    """The significance level of a confidence level, ``1 - confidence`` without float noise.

    Parameters
    ----------
    confidence : float
        Confidence level in (0, 1).

    Returns
    -------
    float
        ``1 - confidence`` rounded to 12 decimals (``alpha_of(0.95)`` is 0.05, not 0.050000000000000044).

    Examples
    --------
    >>> alpha_of(0.95)
    0.05
    """
    return round(1 - float(confidence), 12)


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, (str, bool, int, float, np.integer, np.floating, np.bool_))


@dataclass(frozen=True)
class EstimateResult:
    """A point estimate with its confidence interval and, where one goes with it, a p-value.

    Attributes
    ----------
    estimate : float
        The point estimate.
    ci_low, ci_high : float
        The ``1 - alpha`` confidence interval.
    p_value : float or None
        Two-sided p-value of the test that goes with the interval, or None.
    n : int or None
        Units the estimate is computed on.
    method : str
        How the estimate and interval were computed.
    alpha : float
        Significance level; the interval's confidence is ``1 - alpha``.

    Examples
    --------
    >>> r = EstimateResult(0.12, 0.10, 0.14, None, 1000, "Wilson score")
    >>> print(r)
    Wilson score: 0.12 (95% CI 0.1 to 0.14), n = 1000
    >>> r.summary().columns.tolist()
    ['method', 'estimate', 'ci_low', 'ci_high', 'p_value', 'n', 'alpha']
    """

    estimate: float
    ci_low: float
    ci_high: float
    p_value: float | None = None
    n: int | None = None
    method: str = ""
    alpha: float = 0.05

    # Keys of ``to_dict()`` in order (None: every field). Subclasses list their historical keys.
    _dict_keys: ClassVar[tuple[str, ...] | None] = None

    def _set(self, **values: Any) -> None:
        """Set fields of the frozen instance (for the subclasses' own constructors)."""
        for name, value in values.items():
            object.__setattr__(self, name, value)

    def to_dict(self) -> dict:
        """The result as a plain dict (nested values copied).

        Returns
        -------
        dict
            One entry per field, in the class's documented key order.
        """
        d = asdict(self)
        return d if self._dict_keys is None else {k: d[k] for k in self._dict_keys}

    @property
    def confidence_level(self) -> float:
        """The interval's confidence, ``1 - alpha``."""
        return round(1 - self.alpha, 12)

    def summary(self) -> pd.DataFrame:
        """The result as a one-row tidy frame.

        Returns
        -------
        DataFrame
            Columns ``method, estimate, ci_low, ci_high, p_value, n, alpha``, then the other
            scalar fields of the subclass (nested values such as ``extra`` are left out).
        """
        row = {name: getattr(self, name) for name in _SUMMARY_COLUMNS}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name not in row and _is_scalar(value):
                row[f.name] = value
        return pd.DataFrame([row])

    def __str__(self) -> str:
        level = f"{100 * self.confidence_level:g}%"
        text = f"{self.method}: {self.estimate:.4g} ({level} CI {self.ci_low:.4g} to {self.ci_high:.4g})"
        if self.p_value is not None and not (isinstance(self.p_value, float) and math.isnan(self.p_value)):
            text += f", p = {self.p_value:.3g}"
        if self.n is not None:
            text += f", n = {self.n}"
        return text
