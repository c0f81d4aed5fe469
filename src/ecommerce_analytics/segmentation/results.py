"""Typed results of notebook 02 (customer segmentation), as written to its results JSON."""

from __future__ import annotations

import dataclasses
from typing import Any

import pandas as pd

from ..reporting import NotebookResults
from .clustering import KReadout, StabilityReadout
from .cohorts import RetentionReadout, RfmReadout, WeeklyReadout
from .demographics import DemographicScreen
from .discounts import DiscountReadout
from .features import CustomerBase
from .profiles import ProfileReadout

__all__ = ["SegmentationResults"]


@dataclasses.dataclass
class SegmentationResults(NotebookResults):
    """What notebook 02 reports: segments, their stability and profiles, RFM, demographics, discounts, cohorts.

    ``ari_vs_personas`` is only known on the simulator; elsewhere it is None and left out of the
    results file (:meth:`to_dict`).

    Attributes
    ----------
    customers : int
    sessions_per_customer : float
    k : dict
        ``chosen``, ``elbow``, ``silhouette``, ``rule`` and ``table`` (:meth:`KReadout.to_dict`).
    stability_ari : dict
        ``mean``, ``p2_5``, ``p97_5``, ``resamples`` (:meth:`StabilityReadout.to_dict`).
    new_customer_assignment_ari : float
    segments : DataFrame
        Segment profiles.
    rfm_groups : DataFrame
        RFM groups with ``rfm_segment`` as a column.
    demographics : dict
        :meth:`DemographicScreen.to_dict`.
    discount_sensitivity : dict
        ``threshold`` and ``table`` (:meth:`DiscountReadout.to_dict`).
    cohorts : dict
        :meth:`RetentionReadout.to_dict` or :meth:`WeeklyReadout.to_dict`.
    ari_vs_personas : dict or None
        ``chosen_k``, ``best``, ``best_k``, ``true_personas`` (:meth:`KReadout.persona_agreement`).
    """

    NOTEBOOK = "02_customer_segmentation"
    VERSION = 2  # 2: rfm_groups gained ``buyers`` (share of each group's customers who bought)

    customers: int
    sessions_per_customer: float
    k: dict
    stability_ari: dict
    new_customer_assignment_ari: float
    segments: pd.DataFrame | list
    rfm_groups: pd.DataFrame | list
    demographics: dict
    discount_sensitivity: dict
    cohorts: dict
    ari_vs_personas: dict | None = None

    @classmethod
    def from_readouts(
        cls,
        base: CustomerBase,
        k: KReadout,
        stability: StabilityReadout,
        profiles: ProfileReadout,
        rfm: RfmReadout,
        demographics: DemographicScreen,
        discounts: DiscountReadout,
        cohorts: RetentionReadout | WeeklyReadout,
    ) -> SegmentationResults:
        """Collect the notebook's readouts into its results.

        Parameters
        ----------
        base : CustomerBase
        k : KReadout
        stability : StabilityReadout
        profiles : ProfileReadout
        rfm : RfmReadout
        demographics : DemographicScreen
        discounts : DiscountReadout
        cohorts : RetentionReadout or WeeklyReadout

        Returns
        -------
        SegmentationResults
        """
        expected = (
            ("base", base, CustomerBase),
            ("k", k, KReadout),
            ("stability", stability, StabilityReadout),
            ("profiles", profiles, ProfileReadout),
            ("rfm", rfm, RfmReadout),
            ("demographics", demographics, DemographicScreen),
            ("discounts", discounts, DiscountReadout),
            ("cohorts", cohorts, (RetentionReadout, WeeklyReadout)),
        )
        for name, value, kind in expected:
            if not isinstance(value, kind):
                allowed = " or ".join(t.__name__ for t in (kind if isinstance(kind, tuple) else (kind,)))
                raise ValueError(
                    f"SegmentationResults.from_readouts: {name} must be a {allowed}, got {type(value).__name__}"
                )
        return cls(
            customers=int(len(base.features)),
            sessions_per_customer=base.sessions_per_customer,
            k=k.to_dict(),
            stability_ari=stability.to_dict(),
            new_customer_assignment_ari=float(stability.new_customer_ari),
            segments=profiles.table,
            rfm_groups=rfm.groups.reset_index(),
            demographics=demographics.to_dict(),
            discount_sensitivity=discounts.to_dict(),
            cohorts=cohorts.to_dict(),
            ari_vs_personas=k.persona_agreement(),
        )

    def to_dict(self) -> dict[str, Any]:
        """The fields as plain JSON values, without ``ari_vs_personas`` when it is unknown."""
        out = super().to_dict()
        if self.ari_vs_personas is None:
            del out["ari_vs_personas"]
        return out

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> SegmentationResults:
        """Rebuild from :meth:`to_dict`'s output (``ari_vs_personas`` may be absent)."""
        return super().from_dict({"ari_vs_personas": None, **values})
