"""Notebook 02's whole analysis in one call, so the notebook can open with its answer.

:func:`study` fits the segmenter and computes every readout of the segmentation report;
:meth:`SegmentationStudy.summary` states the question, the answer with its key numbers and what
to do, after a banner naming the source (on the simulator: what was planted and what was
recovered).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from ..reporting import num, pct, pp
from .clustering import KReadout, Segmenter, StabilityReadout, k_readout, stability_readout
from .cohorts import RetentionReadout, RfmReadout, WeeklyReadout, cohort_readout, rfm_readout
from .demographics import DemographicScreen, demographic_screen
from .discounts import DiscountReadout, discount_readout
from .features import CustomerBase, customer_base
from .profiles import PersonaReadout, ProfileReadout, persona_readout, profile_readout, strategic_notes
from .results import SegmentationResults

__all__ = ["SegmentationStudy", "study"]


@dataclass(frozen=True)
class SegmentationStudy:
    """Every readout of the segmentation report, computed once.

    Attributes
    ----------
    base : CustomerBase
    segmenter : Segmenter
        Fitted on ``base.features``.
    k_choice : KReadout
    stability : StabilityReadout
    profiles : ProfileReadout
    personas : PersonaReadout
    rfm : RfmReadout
    demographics : DemographicScreen
    discounts : DiscountReadout
    cohorts : RetentionReadout or WeeklyReadout
    """

    base: CustomerBase
    segmenter: Segmenter
    k_choice: KReadout
    stability: StabilityReadout
    profiles: ProfileReadout
    personas: PersonaReadout
    rfm: RfmReadout
    demographics: DemographicScreen
    discounts: DiscountReadout
    cohorts: RetentionReadout | WeeklyReadout

    def notes(self) -> list[str]:
        """One strategic note per segment (:func:`strategic_notes`)."""
        return strategic_notes(self.profiles.table, self.base.overall, self.discounts.by_segment_index())

    def results(self) -> SegmentationResults:
        """The notebook's typed results."""
        return SegmentationResults.from_readouts(
            self.base,
            self.k_choice,
            self.stability,
            self.profiles,
            self.rfm,
            self.demographics,
            self.discounts,
            self.cohorts,
        )

    def banner(self, label: str) -> str:
        """The source; on the simulator, what was planted and what the segments recover."""
        base = self.base
        counts = f"{num(len(base.features))} customers with {num(len(base.sessions))} sessions"
        if base.personas is None:
            return (
                f"**Source: {label}** (a file under the data contract): {counts}. No truth is known for a file: the "
                "segments below are what the data show."
            )
        shares = base.personas.value_counts(normalize=True)
        planted = ", ".join(f"{p.replace('_', ' ')}s {pct(v, 0)}" for p, v in shares.items())
        agreement = self.k_choice.persona_agreement() or {}
        purity = self.personas.purity
        recovered = (
            f"the {self.k_choice.choice.k} segments agree with the personas at an adjusted Rand index of "
            f"{agreement.get('chosen_k', float('nan')):.2f} (1 is perfect, 0 is chance)"
        )
        if purity is not None:
            recovered += (
                f"; each persona has {pct(purity.min())} to {pct(purity.max())} of its customers in one segment"
            )
        valid = self.discounts.valid
        if self.discounts.has_truth and not valid.empty:
            gap = valid.difference - valid.true_offer_effect
            recovered += (
                f"; the naive discount contrast misses the planted offer effect by {pp(gap.min())} to {pp(gap.max())}"
            )
        return (
            f"**Source: simulated data**, {label}: {counts}. **Planted**: {base.personas.nunique()} hidden personas "
            f"({planted} of customers) that set age, price level, browsing and intent, and a true effect of a "
            f"discount offer for every session. **Recovered**: {recovered}."
        )

    def answer(self) -> str:
        """The question, the answer with its key numbers, and what to do."""
        p = self.profiles.table
        best, worst = p.loc[p.conversion.idxmax()], p.loc[p.conversion.idxmin()]
        never = self.rfm.never_bought
        if self.cohorts.users_return:
            back = self.cohorts.to_dict()
            returning = (
                f"{pct(back['mean_week1_retention'])} of a weekly cohort comes back the next week, and "
                f"{pct(back['repeat_purchase']['second_purchase_share'])} of buyers buy a second time."
            )
        else:
            returning = "Every customer has one session, so retention cannot be measured here."
        if self.profiles.apart:
            conversion = (
                f"**{best['name']}** convert best ({pct(best.conversion)}, {pct(best.share, 0)} of customers) and "
                f"**{worst['name']}** worst ({pct(worst.conversion)}, {pct(worst.share, 0)} of customers), against "
                f"{pct(self.base.overall)} overall."
            )
        else:
            conversion = (
                f"No segment converts differently from the overall {pct(self.base.overall)} (every segment's interval "
                "holds it): the segments differ in how they shop, not in how often they buy."
            )
        todo = "; ".join(
            f"*{r['name']}*: {_action(note)}" for (_, r), note in zip(p.iterrows(), self.notes(), strict=True)
        )
        return (
            "**Question**: which groups of customers are there, how do they differ, and what should each get?\n\n"
            f"**Answer**: {self.k_choice.choice.k} behavioural segments, stable under resampling (mean adjusted Rand "
            f"index {self.stability.stability.ari.mean():.2f}). {conversion} {pct(never)} of customers have not "
            f"bought yet. {returning}\n\n"
            f"**What to do**: {todo}."
        )

    def summary(self, label: str) -> str:
        """The banner, then the answer.

        Parameters
        ----------
        label : str
            The run's label (``Run.label``).

        Returns
        -------
        str
        """
        if not isinstance(label, str) or not label:
            raise ValueError(f"label must be a non-empty string, got {label!r}")
        return self.banner(label) + "\n\n" + self.answer()


def _action(note: str) -> str:
    """The lever of a strategic note: the text after its profile number (or its stance)."""
    body = note.split("): ", 1)[-1]
    parts = [part.strip() for part in body.split(". ") if part.strip()]
    lever = next((part for part in parts[1:] if ";" in part), parts[0])
    action = lever.split("; ", 1)[-1].rstrip(".")
    return action + ("; test a coupon" if "coupon test" in note else "")


def at_scale(data: Any) -> dict[str, Any]:
    """For a large source, the RFM readout and the weekly cohort retention computed in DuckDB on all its sessions.

    Parameters
    ----------
    data : SourceData
        The run's data (``run.load()``).

    Returns
    -------
    dict
        ``{}`` for data in memory; for a large source (a Parquet folder) ``rfm`` and
        ``retention``, the keyword arguments of :func:`study`.
    """
    if getattr(data, "dataset", None) is None:
        return {}
    from .. import scale

    with data.engine("duckdb") as engine:
        return {"rfm": scale.rfm_readout_in_engine(engine), "retention": scale.cohort_retention_in_engine(engine)}


def study(
    sessions: pd.DataFrame,
    *,
    truth: Any = None,
    k_range: range = range(2, 9),
    n_boot: int = 20,
    random_state: int = 0,
    rfm: RfmReadout | None = None,
    retention: pd.DataFrame | None = None,
) -> SegmentationStudy:
    """Fit the segmenter and compute every readout of the segmentation report.

    Parameters
    ----------
    sessions : DataFrame
        Sessions under the data contract.
    truth : SimulationTruth, optional
        The simulator's truth (``data.simulation.truth``), None for a file.
    k_range : range, default range(2, 9)
        Numbers of segments tried (at least three, from 2 up).
    n_boot : int, default 20
        Bootstrap resamples of the stability check.
    random_state : int, default 0
    rfm : RfmReadout, optional
        Computed elsewhere, e.g. in an engine on all of a large source's customers
        (:func:`at_scale`); from ``sessions`` otherwise.
    retention : DataFrame, optional
        The weekly cohort retention computed elsewhere (likewise).

    Returns
    -------
    SegmentationStudy
    """
    if not isinstance(k_range, range) or len(k_range) < 3 or k_range.start < 2:
        raise ValueError(f"k_range must be a range of at least three values from 2 up, got {k_range!r}")
    base = customer_base(sessions, truth=truth)
    segmenter = Segmenter(n_clusters="auto", k_range=k_range, n_boot=n_boot, random_state=random_state)
    segmenter.fit(base.features)
    return SegmentationStudy(
        base=base,
        segmenter=segmenter,
        k_choice=k_readout(segmenter, base.features, base.personas),
        stability=stability_readout(segmenter, base.features),
        profiles=profile_readout(segmenter.profiles_, base.overall),
        personas=persona_readout(segmenter, base.personas),
        rfm=rfm_readout(sessions) if rfm is None else rfm,
        demographics=demographic_screen(sessions),
        discounts=discount_readout(sessions, segmenter.segments_, segmenter.names_, offer_effect=base.offer_effect),
        cohorts=cohort_readout(sessions, retention=retention),
    )
