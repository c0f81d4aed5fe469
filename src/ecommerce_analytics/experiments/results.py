"""The result of a two-arm comparison: :class:`EffectResult`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from ..stats.result import EstimateResult, alpha_of

__all__ = ["EffectResult"]


@dataclass(frozen=True, init=False)
class EffectResult(EstimateResult):
    """Difference between arms (treatment - control) with its interval and test.

    Built as ``EffectResult(estimate, ci_low, ci_high, p_value, n_control, n_treatment, method,
    control=nan, treatment=nan, confidence=0.95, extra=None)``. From :class:`.stats.EstimateResult`
    it also has ``n`` (both arms) and ``alpha`` (``1 - confidence``); ``to_dict()`` keeps its
    historical keys.

    Attributes
    ----------
    estimate, ci_low, ci_high, p_value : float
        Treatment minus control, its interval and the two-sided p-value.
    n_control, n_treatment : int
        Units per arm.
    method : str
        The test and interval.
    control, treatment : float
        The metric in each arm.
    confidence : float
        The interval's confidence level.
    extra : dict
        Method-specific values (relative lift, Cohen's h, variance reduction...).

    Examples
    --------
    >>> r = EffectResult(0.02, 0.01, 0.03, 0.001, 1000, 1000, "z-test")
    >>> r.n, r.alpha, r.significant
    (2000, 0.05, True)
    """

    n_control: int = 0
    n_treatment: int = 0
    control: float = float("nan")
    treatment: float = float("nan")
    confidence: float = 0.95
    extra: dict = field(default_factory=dict)
    _dict_keys: ClassVar[tuple[str, ...]] = (
        "estimate",
        "ci_low",
        "ci_high",
        "p_value",
        "n_control",
        "n_treatment",
        "method",
        "control",
        "treatment",
        "confidence",
        "extra",
    )

    def __init__(
        self,
        estimate: float,
        ci_low: float,
        ci_high: float,
        p_value: float,
        n_control: int,
        n_treatment: int,
        method: str,
        control: float = float("nan"),
        treatment: float = float("nan"),
        confidence: float = 0.95,
        extra: dict | None = None,
    ) -> None:
        self._set(
            estimate=estimate,
            ci_low=ci_low,
            ci_high=ci_high,
            p_value=p_value,
            n=n_control + n_treatment,
            method=method,
            alpha=alpha_of(confidence),
            n_control=n_control,
            n_treatment=n_treatment,
            control=control,
            treatment=treatment,
            confidence=confidence,
            extra={} if extra is None else extra,
        )

    @property
    def significant(self) -> bool:
        """Whether the two-sided p-value is below ``1 - confidence``."""
        return self.p_value < 1 - self.confidence
