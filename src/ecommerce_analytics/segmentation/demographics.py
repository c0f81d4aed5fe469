"""Demographic segments: age bands, and conversion by demographic level with Holm's correction."""

from __future__ import annotations

from dataclasses import dataclass
from numbers import Integral

import numpy as np
import pandas as pd

from ..metrics import conversion_screen
from ..reporting import pct

__all__ = ["age_group", "DEMOGRAPHIC_VARIABLES", "DemographicScreen", "demographic_screen"]

#: Variables screened by :func:`demographic_screen` (``top_location`` is built from ``location``).
DEMOGRAPHIC_VARIABLES = ("age_group", "gender", "income_level", "top_location")


def age_group(age: pd.Series) -> pd.Series:
    """Age bands 13-17, 18-24, 25-34, 35-44, 45-54, 55-64, 65+ (as in ``04_demographics.sql``).

    Examples
    --------
    >>> age_group(pd.Series([17, 18, 64, 65])).tolist()
    ['13-17', '18-24', '55-64', '65+']
    """
    bins = [-np.inf, 18, 25, 35, 45, 55, 65, np.inf]
    labels = ["13-17", "18-24", "25-34", "35-44", "45-54", "55-64", "65+"]
    return pd.cut(age, bins, right=False, labels=labels).astype(str)


@dataclass(frozen=True)
class DemographicScreen:
    """Conversion of every demographic level against the rest, corrected over all levels.

    Attributes
    ----------
    screen : DataFrame
        :func:`ecommerce_analytics.metrics.conversion_screen` output.
    """

    screen: pd.DataFrame

    @property
    def hits(self) -> pd.DataFrame:
        """Levels that differ from the rest after the correction."""
        return self.screen[self.screen.significant]

    def to_dict(self) -> dict:
        """Levels tested, how many differ, and those levels (rate, interval, adjusted p-value)."""
        return {
            "levels_tested": int(len(self.screen)),
            "significant_after_holm": int(self.screen.significant.sum()),
            "significant_levels": self.hits[["variable", "level", "rate", "ci_low", "ci_high", "p_adjusted"]],
        }

    def sentence(self) -> str:
        """How many levels differ from the rest after correction, and which.

        Examples
        --------
        >>> screen = pd.DataFrame({"variable": ["gender", "gender"], "level": ["F", "M"], "rate": [0.3, 0.1],
        ...                        "rest_rate": [0.1, 0.3], "significant": [True, False]})
        >>> DemographicScreen(screen).sentence()
        '1 of 2 demographic levels differ from the rest after correction: gender = F (30.0% vs 10.0%).'
        >>> DemographicScreen(screen.assign(significant=False)).sentence()
        '0 of 2 demographic levels differ from the rest after correction (none does).'
        """
        hits = self.hits
        listed = "; ".join(f"{r.variable} = {r.level} ({pct(r.rate)} vs {pct(r.rest_rate)})" for r in hits.itertuples())
        return (
            f"{len(hits)} of {len(self.screen)} demographic levels differ from the rest after correction"
            + (": " + listed if len(hits) else " (none does)")
            + "."
        )


def demographic_screen(sessions: pd.DataFrame, *, top_locations: int = 10, alpha: float = 0.05) -> DemographicScreen:
    """Conversion by age group, gender, income and the most common locations, each level against the rest.

    Locations outside the ``top_locations`` with the most sessions are pooled as "other". P-values
    are adjusted with Holm's method over all levels of all variables.

    Parameters
    ----------
    sessions : DataFrame
        Sessions with ``purchase_decision`` and any of ``age``, ``gender``, ``income_level`` and
        ``location`` (those present are screened).
    top_locations : int, default 10
        Locations kept by name.
    alpha : float, default 0.05
        Family-wise error rate of the correction.

    Returns
    -------
    DemographicScreen

    References
    ----------
    Holm, S. (1979). A simple sequentially rejective multiple test procedure. Scandinavian
    Journal of Statistics, 6(2), 65-70.

    Examples
    --------
    >>> s = pd.DataFrame({"age": [20, 30, 40, 50] * 25, "gender": ["F", "M"] * 50, "income_level": ["Low"] * 100,
    ...                   "location": ["Z"] * 50 + ["X"] * 30 + ["Y"] * 20, "purchase_decision": [0, 1] * 50})
    >>> demographic_screen(s, top_locations=2).screen.level.tolist()
    ['18-24', '25-34', '35-44', '45-54', 'F', 'M', 'Low', 'X', 'Z', 'other']
    """
    if not isinstance(top_locations, Integral) or isinstance(top_locations, bool) or top_locations < 1:
        raise ValueError(f"demographic_screen: top_locations must be an integer >= 1, got {top_locations!r}")
    if not 0 < alpha < 1:
        raise ValueError(f"demographic_screen: alpha must be in (0, 1), got {alpha!r}")
    sources = {"age_group": "age", "gender": "gender", "income_level": "income_level", "top_location": "location"}
    present = [v for v in DEMOGRAPHIC_VARIABLES if sources[v] in sessions.columns]
    if not present:
        raise ValueError(
            "demographic_screen: sessions has none of the columns 'age', 'gender', 'income_level', 'location'"
        )
    demo = sessions
    if "age" in sessions:
        demo = demo.assign(age_group=age_group(sessions.age))
    if "location" in sessions:
        top = sessions.location.value_counts().head(top_locations).index
        demo = demo.assign(top_location=sessions.location.where(sessions.location.isin(top), "other"))
    return DemographicScreen(conversion_screen(demo, present, alpha=alpha))
