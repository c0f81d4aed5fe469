"""Purchase prediction: leakage audit, pipelines, honest validation, importance, value, persistence.

The helpers take a frame, a target name and feature lists, so they work on any tabular
binary-outcome dataset; :data:`BROWSE`, :data:`CART` and :func:`session_features` adapt them to
the session schema.

Two prediction moments for sessions:

- **browse stage**: predict the purchase from what is known before any cart action (no cart
  flag is a feature);
- **cart stage**: among sessions with ``add_to_cart = 1``, predict the purchase (the complement
  is cart abandonment risk).

``abandoned_cart`` is defined by the outcome (``abandoned_cart = add_to_cart and not
purchase_decision``), so it is never a feature; :func:`leakage_audit` finds such columns.

Modules, by concern: :mod:`.features` (stages and derived features), :mod:`.leakage`,
:mod:`.models` (candidate pipelines, skew detection and the tuned XGBoost),
:mod:`.validation` (cross-validation and held-out metrics), :mod:`.roc` (DeLong and permutation
tests), :mod:`.reliability` (calibration and errors), :mod:`.importance`, :mod:`.stages` (a stage end to end), :mod:`.value` (business value),
:mod:`.persistence` (model files and scoring), :mod:`.summary` (the notebook's opening summary)
and :mod:`.results` (the notebook's results).
Every public name is importable from this package.
"""

from __future__ import annotations

from .errors import ModelFileError, ModelMismatchError
from .features import (
    BROWSE,
    CART,
    LOG_COLUMNS,
    Stage,
    funnel_identity,
    session_features,
    source_sentence,
    stage_frame,
)
from .importance import DriversReadout, driver_reading, permutation_importances, shap_importances, stage_drivers
from .leakage import LeakageReadout, audit_sessions, leakage_audit
from .models import (
    N_JOBS,
    SEARCH_SPACE,
    SKEW_THRESHOLD,
    TUNED,
    XGB_SETTINGS,
    SkewLog1p,
    TunedXGBoost,
    make_models,
    tuning_card,
)
from .persistence import (
    EXCLUDED_FEATURES,
    MODEL_FORMAT,
    check_features,
    data_fingerprint,
    display_path,
    load_model,
    model_path,
    read_model_card,
    save_model,
    save_stage_models,
    saved_sentence,
    score,
    score_sessions,
    stage_card,
)
from .reliability import CalibrationReadout, calibration_readout, confusion_at, reliability_curve
from .results import PredictionResults
from .roc import _PERMUTATION_BATCH_CELLS as _PERMUTATION_BATCH_CELLS  # read here by auc_permutation_test
from .roc import auc_ci, auc_permutation_test, delong_test
from .stages import CEILING_TARGET, ShortcutReadout, StageReport, evaluate_stage, shortcut_analysis, stage_ceilings
from .summary import prediction_banner, prediction_summary
from .validation import (
    CVResult,
    HoldoutResult,
    ModelComparison,
    best_f1_threshold,
    cross_validate,
    evaluate_holdout,
    fit_and_validate,
)
from .value import (
    SELECTION_METHOD,
    WIN_BACKS,
    GainReadout,
    InterventionValue,
    abandonment_gains,
    break_even_win_back,
    choose_threshold,
    gain_curve,
    holdout_test_plan,
    intervention_value,
    order_values,
    value_curve,
    win_back_sensitivity,
)

__all__ = [
    # features
    "Stage",
    "BROWSE",
    "CART",
    "LOG_COLUMNS",
    "session_features",
    "stage_frame",
    "funnel_identity",
    "source_sentence",
    # leakage
    "leakage_audit",
    "LeakageReadout",
    "audit_sessions",
    # models and validation
    "N_JOBS",
    "make_models",
    "SKEW_THRESHOLD",
    "SkewLog1p",
    "XGB_SETTINGS",
    "SEARCH_SPACE",
    "TUNED",
    "TunedXGBoost",
    "tuning_card",
    "CVResult",
    "cross_validate",
    "HoldoutResult",
    "evaluate_holdout",
    "best_f1_threshold",
    "ModelComparison",
    "fit_and_validate",
    # ROC-AUC inference
    "auc_ci",
    "delong_test",
    "auc_permutation_test",
    # calibration and errors
    "reliability_curve",
    "confusion_at",
    "CalibrationReadout",
    "calibration_readout",
    # importance
    "permutation_importances",
    "shap_importances",
    "driver_reading",
    "DriversReadout",
    "stage_drivers",
    # stages
    "CEILING_TARGET",
    "stage_ceilings",
    "StageReport",
    "evaluate_stage",
    "ShortcutReadout",
    "shortcut_analysis",
    # business value
    "value_curve",
    "gain_curve",
    "order_values",
    "WIN_BACKS",
    "SELECTION_METHOD",
    "choose_threshold",
    "break_even_win_back",
    "holdout_test_plan",
    "win_back_sensitivity",
    "InterventionValue",
    "intervention_value",
    "GainReadout",
    "abandonment_gains",
    # persistence
    "model_path",
    "MODEL_FORMAT",
    "save_model",
    "read_model_card",
    "load_model",
    "check_features",
    "score_sessions",
    "score",
    "ModelMismatchError",
    "ModelFileError",
    "EXCLUDED_FEATURES",
    "data_fingerprint",
    "stage_card",
    "display_path",
    "save_stage_models",
    "saved_sentence",
    # summary
    "prediction_summary",
    "prediction_banner",
    # results
    "PredictionResults",
]
