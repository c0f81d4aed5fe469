"""Typed results of the purchase-prediction notebook (03)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import pandas as pd

from ..reporting import NotebookResults
from .importance import DriversReadout
from .leakage import LeakageReadout
from .stages import ShortcutReadout, StageReport
from .value import InterventionValue

__all__ = ["PredictionResults"]


@dataclass
class PredictionResults(NotebookResults):
    """What notebook 03 reports: leakage audit, both stages, the shortcut, drivers, value and saved models.

    Attributes
    ----------
    funnel_identity : dict
        ``rows``, ``identity_holds``, ``identity_fails``.
    leakage_audit : DataFrame
        The all-session leakage audit (with the timing check's ``cv_auc``, ``full_auc``,
        ``drop_cost`` and ``timing_check`` columns).
    excluded_features : list of str
        Columns never used as features.
    browse, cart : dict
        Each stage's :meth:`~.stages.StageReport.to_dict`; its ``table`` has a row for
        ``xgboost (tuned)`` (nested cross-validation) and ``tuning`` its search (space, budget, chosen
        settings) when the stage compared the tuned model.
    shortcut_auc : dict
        Held-out ROC-AUC by feature set (:class:`~.stages.ShortcutReadout`).
    top_drivers_browse : DataFrame
        The five largest mean |SHAP| columns of the browse stage.
    value : dict
        :meth:`~.value.InterventionValue.to_dict`: the held-out value of the threshold chosen on
        validation folds. Version 2 added ``p_value``, ``threshold_selection``, ``sensitivity``,
        ``break_even_win_back`` and ``holdout_test_plan``.
    models : dict
        :func:`~.persistence.save_stage_models`'s result.
    """

    NOTEBOOK: ClassVar[str] = "03_purchase_prediction"
    VERSION: ClassVar[int] = 2

    funnel_identity: dict
    leakage_audit: pd.DataFrame
    excluded_features: list
    browse: dict
    cart: dict
    shortcut_auc: dict
    top_drivers_browse: pd.DataFrame
    value: dict
    models: dict

    @classmethod
    def collect(
        cls,
        *,
        leakage: LeakageReadout,
        browse: StageReport,
        cart: StageReport,
        shortcut: ShortcutReadout,
        drivers: DriversReadout,
        value: InterventionValue,
        models: dict,
    ) -> PredictionResults:
        """The results from the notebook's computed readouts.

        Parameters
        ----------
        leakage : LeakageReadout
            The leakage audit.
        browse, cart : StageReport
            The two stages.
        shortcut : ShortcutReadout
            The cart-flag shortcut.
        drivers : DriversReadout
            The browse stage's drivers.
        value : InterventionValue
            The intervention's value.
        models : dict
            The saved models.

        Returns
        -------
        PredictionResults
            The notebook's results.
        """
        if browse.stage.name != "browse" or cart.stage.name != "cart":
            raise ValueError(
                f"browse and cart must be the browse and cart stages, got {browse.stage.name}, {cart.stage.name}"
            )
        return cls(
            funnel_identity=leakage.identity,
            leakage_audit=leakage.audit,
            excluded_features=leakage.excluded_features,
            browse=browse.to_dict(),
            cart=cart.to_dict(),
            shortcut_auc=shortcut.auc.to_dict(),
            top_drivers_browse=drivers.shap.head(5),
            value=value.to_dict(),
            models=models,
        )
