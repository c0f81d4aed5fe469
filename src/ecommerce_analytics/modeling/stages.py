"""One prediction stage validated end to end, its readout, and where the 0.80 ROC-AUC comes from.

:func:`evaluate_stage` fits and validates the candidate models of a stage
(:func:`~.validation.fit_and_validate`) and measures the best one against the simulator's
ceilings when the truth is known, or against chance (a permutation test) when it is not.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sklearn.pipeline import Pipeline

from ..reporting import ci, pct
from ..schema import TARGET
from .features import BROWSE, Stage, session_features, stage_frame
from .models import N_JOBS, TUNED, make_models, tuning_card
from .roc import auc_permutation_test
from .validation import ModelComparison, fit_and_validate

__all__ = [
    "CEILING_TARGET",
    "stage_ceilings",
    "StageReport",
    "evaluate_stage",
    "ShortcutReadout",
    "shortcut_analysis",
]

#: Share of the observable ceiling the best model of a stage should reach on simulated data.
CEILING_TARGET = 0.97

#: Truth columns of each stage: (observable ceiling, all-knowing ceiling).
_CEILING_COLUMNS = {
    "browse": ("p_observed_browse", "p_purchase"),
    "cart": ("p_observed_cart", "p_purchase_given_cart"),
}


def stage_ceilings(stage: Stage, comparison: ModelComparison, truth: pd.DataFrame | None) -> dict[str, float]:
    """ROC-AUC of the simulator's true probabilities on a comparison's held-out rows.

    Parameters
    ----------
    stage : Stage
        :data:`~.features.BROWSE` or :data:`~.features.CART`.
    comparison : ModelComparison
        The stage's comparison (its ``test_index`` and ``y_test``).
    truth : DataFrame or None
        The simulation truth's sessions (``p_observed_browse``, ``p_purchase``,
        ``p_observed_cart``, ``p_purchase_given_cart``), indexed like the sessions; ``None``
        for data whose truth is unknown.

    Returns
    -------
    dict
        ``observable`` (the best any model can do with the observable columns) and
        ``all_knowing`` (knowing the hidden persona too); empty when ``truth`` is ``None``.
    """
    if stage.name not in _CEILING_COLUMNS:
        raise ValueError(f"stage must be browse or cart, got {stage.name!r}")
    if truth is None:
        return {}
    from sklearn.metrics import roc_auc_score

    t = truth.loc[comparison.test_index]
    observable, all_knowing = _CEILING_COLUMNS[stage.name]
    return {
        "observable": float(roc_auc_score(comparison.y_test, t[observable])),
        "all_knowing": float(roc_auc_score(comparison.y_test, t[all_knowing])),
    }


@dataclass
class StageReport:
    """A stage's model comparison, its ceilings (simulated data) or permutation test (other data).

    Attributes
    ----------
    stage : Stage
        The prediction moment.
    comparison : ModelComparison
        Cross-validation and held-out results of the candidate models.
    ceilings : dict
        :func:`stage_ceilings` (empty when the truth is unknown).
    permutation : dict or None
        :func:`~.roc.auc_permutation_test` of the best model, when there are no ceilings.
    """

    stage: Stage
    comparison: ModelComparison
    ceilings: dict[str, float]
    permutation: dict | None = None

    @property
    def best_auc(self) -> float:
        """Held-out ROC-AUC of the best model."""
        return self.comparison.holdout[self.comparison.best].roc_auc.estimate

    @property
    def share_of_ceiling(self) -> float | None:
        """Best held-out AUC over the observable ceiling (``None`` without ceilings)."""
        return self.best_auc / self.ceilings["observable"] if self.ceilings else None

    @property
    def meets_ceiling_target(self) -> bool | None:
        """Whether the best model reaches :data:`CEILING_TARGET` of the ceiling (``None`` without ceilings)."""
        share = self.share_of_ceiling
        return None if share is None else share >= CEILING_TARGET

    @property
    def beats_chance(self) -> bool | None:
        """Whether the permutation test rejects chance at 5% (``None`` when it was not run)."""
        return None if self.permutation is None else self.permutation["p_value"] < 0.05

    def tuning_sentence(self) -> str:
        """The tuned XGBoost's nested cross-validated AUC beside the untuned one, and its chosen settings.

        Empty when the comparison has no tuned model.
        """
        c = self.comparison
        if TUNED not in c.cv or TUNED not in c.pipelines:
            return ""
        card = tuning_card(c.pipelines[TUNED])
        if card is None:
            return ""
        t = c.cv[TUNED].auc
        text = (
            f"**{TUNED}**: its settings are searched inside each training fold (successive halving over "
            f"{card['n_candidates']} candidates, one of them the untuned settings), so its cross-validated ROC-AUC "
            f"{t.estimate:.3f} ({ci(t.ci_low, t.ci_high, lambda x: f'{x:.3f}')}) is nested, not the search's own score"
        )
        if "xgboost" in c.cv:
            text += f"; untuned xgboost: {c.cv['xgboost'].auc.estimate:.3f}"
        chosen = ", ".join(f"{k} {v}" for k, v in card["chosen"].items())
        source = "the untuned settings" if card["chosen"] == card["default_settings"] else chosen
        text += f". Chosen on the training rows: {source}."
        if card["machine_dependent"]:
            text += " The search hit its time cap, so this choice depends on the machine's speed."
        return text

    def sentences(self) -> list[str]:
        """The best model against the baseline; its ceiling or its test against chance; the tuned model."""
        c = self.comparison
        best, d = c.holdout[c.best], c.vs_baseline
        text = (
            f"Best by cross-validation: **{c.best}**, held-out ROC-AUC **{best.roc_auc.estimate:.3f}** "
            f"({ci(best.roc_auc.ci_low, best.roc_auc.ci_high, lambda x: f'{x:.3f}')}), PR-AUC {best.pr_auc:.3f} "
            f"(prevalence {pct(best.prevalence)}), Brier {best.brier:.3f}."
        )
        if c.best != c.baseline:
            text += (
                f" Against the {c.baseline} baseline on the same rows: {d['difference']:+.3f} "
                f"(95% CI {d['ci_low']:+.3f} to {d['ci_high']:+.3f}, DeLong p = {d['p_value']:.2g})."
            )
        out = [text]
        if self.ceilings:
            out.append(
                f"The best any model can do with these columns is ROC-AUC **{self.ceilings['observable']:.3f}** on "
                f"these rows; knowing the hidden persona too would give {self.ceilings['all_knowing']:.3f}. {c.best} "
                f"reaches **{pct(self.share_of_ceiling)}** of the observable ceiling."
            )
        elif self.permutation is not None:
            perm = self.permutation
            out.append(
                f"Permutation test against chance ({perm['n_permutations']:,} label shuffles of the held-out rows): "
                f"p = {perm['p_value']:.3f}; 97.5% of shuffled AUCs stay below {perm['null_p97_5']:.3f}. "
                + (
                    "The model beats chance."
                    if self.beats_chance
                    else "The model is **no better than chance** on this data."
                )
            )
        tuned = self.tuning_sentence()
        if tuned:
            out.append(tuned)
        return out

    def to_dict(self) -> dict:
        """The stage's entry of the notebook's results (table, best, comparison, rows, ceilings, test, tuning)."""
        c = self.comparison
        out = {
            "table": c.table(),
            "best": c.best,
            "vs_baseline": c.vs_baseline,
            "rows": {"train": int(len(c.train_index)), "test": int(len(c.test_index))},
            "ceilings": self.ceilings,
        }
        if self.ceilings:
            out["share_of_observable_ceiling"] = self.share_of_ceiling
        if self.permutation is not None:
            out["permutation_test"] = self.permutation
        tuning = tuning_card(c.pipelines[TUNED]) if TUNED in c.pipelines else None
        if tuning is not None:
            out["tuning"] = tuning
        return out


def evaluate_stage(
    sessions: pd.DataFrame,
    stage: Stage,
    *,
    truth: pd.DataFrame | None = None,
    seed: int = 0,
    models: dict[str, Pipeline] | None = None,
    n_jobs: int | None = None,
    tuned: bool = True,
    max_seconds: float | None = None,
    target: str = TARGET,
) -> StageReport:
    """Fit, validate and measure the candidate models of a stage.

    Parameters
    ----------
    sessions : DataFrame
        Validated sessions.
    stage : Stage
        :data:`~.features.BROWSE` or :data:`~.features.CART`.
    truth : DataFrame, optional
        The simulation truth's sessions (see :func:`stage_ceilings`); without it the best model
        is tested against chance instead.
    seed : int
        Seed of the split, the folds and the models.
    models : dict, optional
        Candidate pipelines by name (default :func:`~.models.make_models` of the stage's features,
        with the stage's ``log_columns``, and the tuned XGBoost when ``tuned``).
    n_jobs : int, optional
        Threads of the models (see :func:`~.validation.fit_and_validate`; by default
        :data:`~.models.N_JOBS` for the models built here).
    tuned : bool
        Whether the default candidates include :data:`~.models.TUNED` (nested cross-validation:
        its search runs inside every training fold).
    max_seconds : float, optional
        Wall-clock cap of each of the tuned model's searches (see :class:`~.models.TunedXGBoost`).
    target : str
        The outcome column.

    Returns
    -------
    StageReport
        The comparison, with ceilings or a permutation test.
    """
    if not isinstance(stage, Stage):
        raise ValueError(f"stage must be a Stage (BROWSE or CART), got {stage!r}")
    stage = stage.restricted_to(sessions)  # a dataset without some features fits on those it has
    if models is None:
        models = make_models(
            stage.numeric,
            stage.categorical,
            seed,
            n_jobs=N_JOBS if n_jobs is None else n_jobs,
            log_columns=stage.log_columns,
            tuned=tuned,
            max_seconds=max_seconds,
        )
    comparison = fit_and_validate(
        stage_frame(sessions, stage, target=target),
        target,
        stage.numeric,
        stage.categorical,
        seed=seed,
        models=models,
        n_jobs=n_jobs,
    )
    ceilings = stage_ceilings(stage, comparison, truth)
    permutation = None
    if not ceilings:
        permutation = auc_permutation_test(comparison.y_test, comparison.predictions[comparison.best])
    return StageReport(stage, comparison, ceilings, permutation)


@dataclass(frozen=True)
class ShortcutReadout:
    """Held-out ROC-AUC of the logistic baseline as the cart flags are added to the browse features.

    Attributes
    ----------
    auc : Series
        ``held-out ROC-AUC`` by feature set (``browse features``, ``+ add_to_cart``,
        ``+ add_to_cart + abandoned_cart (leak)``).
    honest : float
        Best held-out ROC-AUC of the honest stage models (no cart flag as a feature).
    target : float
        A benchmark ROC-AUC (0.80 by default).
    """

    auc: pd.Series
    honest: float
    target: float = 0.80

    @property
    def only_through_cart_flag(self) -> bool:
        """Whether the target is reached with ``add_to_cart`` but not by the honest models."""
        return self.honest < self.target <= self.auc["+ add_to_cart"]

    def sentence(self) -> str:
        """The honest AUC, what each cart flag adds, and whether the target needs the shortcut."""
        t = f"{self.target:.2f}"
        if self.only_through_cart_flag:
            verdict = (
                f"So {t} is reached **only through add_to_cart**, which is not available when the prediction is needed."
            )
        else:
            verdict = (
                f"{t} is " + ("reached" if self.honest >= self.target else "not reached") + " without the cart flags."
            )
        return (
            f"Without cart flags the best honest model reaches {self.honest:.3f}; adding `add_to_cart` gives "
            f"{self.auc['+ add_to_cart']:.3f}, and adding the leak too gives "
            f"{self.auc['+ add_to_cart + abandoned_cart (leak)']:.3f}. " + verdict
        )


_SHORTCUTS = (
    ("browse features", []),
    ("+ add_to_cart", ["add_to_cart"]),
    ("+ add_to_cart + abandoned_cart (leak)", ["add_to_cart", "abandoned_cart"]),
)


def shortcut_analysis(
    sessions: pd.DataFrame,
    honest: float,
    *,
    target: float = 0.80,
    seed: int = 0,
    folds: int = 5,
    n_jobs: int | None = None,
) -> ShortcutReadout:
    """Held-out ROC-AUC of the logistic pipeline on the browse features, plus ``add_to_cart``, plus both flags.

    Parameters
    ----------
    sessions : DataFrame
        Validated sessions.
    honest : float
        Best held-out ROC-AUC of the honest stage models.
    target : float
        The benchmark ROC-AUC, strictly between 0.5 and 1.
    seed : int
        Seed of the split and folds (the same rows as the browse stage with the same seed).
    folds : int
        Cross-validation folds (they choose nothing here: one model per feature set).
    n_jobs : int, optional
        Threads of the models (see :func:`~.validation.fit_and_validate`).

    Returns
    -------
    ShortcutReadout
        The AUC of each feature set.
    """
    if not 0.5 < target < 1:
        raise ValueError(f"target must lie strictly between 0.5 and 1, got {target!r}")
    features = session_features(sessions)
    browse = BROWSE.restricted_to(features)  # the browse features this dataset has
    auc = {}
    for label, extra in _SHORTCUTS:
        numeric = list(browse.numeric) + extra
        model = make_models(numeric, browse.categorical, log_columns=browse.log_columns)["logistic_regression"]
        comp = fit_and_validate(
            features[browse.features + extra + [TARGET]],
            TARGET,
            numeric,
            browse.categorical,
            seed=seed,
            folds=folds,
            models={"logistic_regression": model},
            n_jobs=n_jobs,
        )
        auc[label] = comp.holdout["logistic_regression"].roc_auc.estimate
    return ShortcutReadout(pd.Series(auc, name="held-out ROC-AUC"), float(honest), target)
