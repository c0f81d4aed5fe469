"""The purchase-prediction notebook's opening summary and source banner, built from its results."""

from __future__ import annotations

import pandas as pd

from ..reporting import ci, num, pct
from .features import source_sentence
from .stages import CEILING_TARGET, StageReport
from .value import InterventionValue, _per_1000

__all__ = ["prediction_summary", "prediction_banner"]

QUESTION = (
    "Can we tell which sessions will buy, before any cart action (browse stage) or once a cart exists (cart stage)?"
)


def _auc(x: float) -> str:
    """A ROC-AUC with three decimals."""
    return f"{x:.3f}"


def _stage_answer(report: StageReport, moment: str, *, first: bool = True) -> str:
    """One stage's best model, its held-out ROC-AUC with interval, and its ceiling or test against chance."""
    c = report.comparison
    auc = c.holdout[c.best].roc_auc
    text = f"{moment}, {c.best} reaches held-out ROC-AUC **{_auc(auc.estimate)}** ({ci(auc.ci_low, auc.ci_high, _auc)})"
    if report.ceilings:
        ceiling = _auc(report.ceilings["observable"])
        return text + (
            f", {pct(report.share_of_ceiling)} of the {ceiling} that the true probabilities reach with these columns"
            if first
            else f", {pct(report.share_of_ceiling)} of its ceiling {ceiling}"
        )
    if report.permutation is not None:
        p = report.permutation["p_value"]
        return text + (
            f", better than chance (permutation p = {p:.3f})"
            if report.beats_chance
            else f", **no better than chance** (permutation p = {p:.3f})"
        )
    return text


def _verdict(browse: StageReport, cart: StageReport) -> str:
    """Yes / partly / no, from the ceilings (simulated data) or the tests against chance."""
    if browse.ceilings and cart.ceilings:
        near = browse.share_of_ceiling >= CEILING_TARGET and cart.share_of_ceiling >= CEILING_TARGET
        return "Yes, about as well as these columns allow" if near else "Partly"
    beats = [bool(s.beats_chance) for s in (browse, cart)]
    if all(beats):
        return "Yes, better than chance"
    return "Only at one stage" if any(beats) else "No"


def _action(cart: StageReport, value: InterventionValue) -> str:
    """What to do about the cart-recovery offer, with its held-out value and the assumption it rests on."""
    model = cart.comparison.best
    if cart.beats_chance is False:
        e, k = value.everyone, 1000 / value.n
        text = (
            "Do not aim a cart-recovery offer with the cart-stage model: it ranks carts no better than chance, "
            "so targeting by it is random targeting."
        )
        if e.ci_low > 0:
            text += (
                f" An offer to every cart would earn {_per_1000(k * e.value)} per 1,000 carts "
                f"({ci(k * e.ci_low, k * e.ci_high, _per_1000)}) only if it wins back {pct(value.uplift, 0)} of "
                "would-be-abandoned carts, an unmeasured assumption: test it first."
            )
        return text
    if not value.validation["value"].max() > 0:
        return (
            f"Do not run the cart-recovery offer at these assumptions (win-back {pct(value.uplift, 0)}, cost "
            f"{num(value.offer_cost)} per cart): no threshold earns anything on the validation folds."
        )
    b, k = value.best, 1000 / value.n
    worth = f"{_per_1000(k * b.value)} per 1,000 carts ({ci(k * b.ci_low, k * b.ci_high, _per_1000)}) on held-out carts"
    be = value.break_even.get("chosen")
    assumption = f"an assumed win-back of {pct(value.uplift, 0)}" + (
        f" (break-even {pct(be)})" if be is not None and pd.notna(be) and be <= 1 else ""
    )
    test = (
        f" A randomized holdout test of the offer needs **{num(value.plan['targeted_carts_per_arm'])} targeted "
        f"carts per arm** to measure a {pct(value.uplift, 0)} win-back."
        if value.plan
        else ""
    )
    if value.earns_its_keep:
        return (
            f"Test the cart-recovery offer before rolling it out. Aimed by the {model} cart-stage model at carts "
            f"whose predicted purchase probability is below {value.threshold:.2f} ({pct(b.targeted_share, 0)} of "
            f"carts), it is worth {worth}, but only with {assumption}, which nobody has measured.{test}"
        )
    return (
        f"Do not roll out the cart-recovery offer yet: at the threshold chosen on validation folds "
        f"({value.threshold:.2f}) it earns {worth}, not shown to be positive or to beat targeting every cart, "
        f"even with {assumption}.{test}"
    )


def prediction_summary(browse: StageReport, cart: StageReport, value: InterventionValue) -> str:
    """The notebook's opening summary: the question, the answer with held-out ROC-AUCs, and what to do.

    Parameters
    ----------
    browse, cart : StageReport
        The two stages (:func:`~.stages.evaluate_stage`).
    value : InterventionValue
        The cart-recovery targeting (:func:`~.value.intervention_value`).

    Returns
    -------
    str
        Markdown: three bold-labelled lines.
    """
    if browse.stage.name != "browse" or cart.stage.name != "cart":
        raise ValueError(
            f"browse and cart must be the browse and cart stages, got {browse.stage.name}, {cart.stage.name}"
        )
    answer = (
        f"{_verdict(browse, cart)}. {_stage_answer(browse, 'Before any cart action')}; "
        f"{_stage_answer(cart, 'at the cart', first=False)}."
    )
    return f"**Question.** {QUESTION}\n\n**Answer.** {answer}\n\n**What to do.** {_action(cart, value)}"


def prediction_banner(label: str, sessions: pd.DataFrame, browse: StageReport, cart: StageReport) -> str:
    """The source, and on the simulator what it planted (the ceilings) and what the models recovered.

    Parameters
    ----------
    label : str
        How reports name the source (``Run.label``).
    sessions : DataFrame
        The sessions (see :func:`~.features.source_sentence`).
    browse, cart : StageReport
        The two stages.

    Returns
    -------
    str
        Markdown.
    """
    text = source_sentence(label, sessions)
    if browse.ceilings and cart.ceilings:
        return text + (
            " Planted by the simulator: each session's true purchase probability, which with the observable "
            f"columns ranks buyers at ROC-AUC {_auc(browse.ceilings['observable'])} before the cart and "
            f"{_auc(cart.ceilings['observable'])} at the cart ({_auc(browse.ceilings['all_knowing'])} and "
            f"{_auc(cart.ceilings['all_knowing'])} knowing the hidden persona too). Recovered by the best models: "
            f"{_auc(browse.best_auc)} and {_auc(cart.best_auc)}."
        )
    return text + (
        " The true purchase probabilities are unknown for this source, so each stage's best model is tested "
        "against chance instead of a ceiling."
    )
