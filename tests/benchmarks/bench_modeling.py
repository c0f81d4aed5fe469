"""Benchmark of the tuned XGBoost: nested cross-validation on the simulator, against the untuned model.

On ``simulate(20000, 42)``, for the browse and cart stages: the 5-fold cross-validated ROC-AUC
of the untuned XGBoost and of ``xgboost (tuned)`` (its search runs inside every training fold),
and the observable ceiling on the same folds (the simulator's true probabilities given the
observable columns). The time is that of the tuned model's nested cross-validation (both stages).
A ``problem`` is reported when the tuned model scores below the untuned one on a stage.
"""

from __future__ import annotations

_TUNED_VS_UNTUNED = r"""
import json, time
import numpy as np
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold
from ecommerce_analytics import modeling as md
from ecommerce_analytics.schema import TARGET
from ecommerce_analytics.simulate import simulate

sim = simulate(20000, seed=42)
truth = sim.truth.sessions
ceiling_column = {"browse": "p_observed_browse", "cart": "p_observed_cart"}
rows, problems, tuned_seconds = [], [], 0.0
for stage in (md.BROWSE, md.CART):
    frame = md.stage_frame(sim.sessions, stage)
    X, y = frame[stage.features], frame[TARGET].to_numpy()
    models = md.make_models(stage.numeric, stage.categorical, 0, log_columns=stage.log_columns, tuned=True)
    untuned = md.cross_validate(models["xgboost"], X, y, folds=5, seed=0)
    t0 = time.perf_counter()
    tuned = md.cross_validate(models[md.TUNED], X, y, folds=5, seed=0)
    tuned_seconds += time.perf_counter() - t0
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=0).split(np.zeros(len(y)), y)
    p = truth.loc[frame.index, ceiling_column[stage.name]].to_numpy()
    ceiling = float(np.mean([roc_auc_score(y[test], p[test]) for _, test in folds]))
    u, t = untuned.auc.estimate, tuned.auc.estimate
    rows.append(f"{stage.name}: untuned {u:.4f}, tuned {t:.4f} ({t - u:+.4f}), ceiling {ceiling:.4f} "
                f"(shares {u / ceiling:.1%} -> {t / ceiling:.1%})")
    if t < u:
        problems.append(f"{stage.name}: tuned {t:.4f} < untuned {u:.4f}")
print("BENCH_INNER", tuned_seconds)
extra = {"note": "; ".join(rows)}
if problems:
    extra["problem"] = "; ".join(problems)
print("BENCH_EXTRA " + json.dumps(extra))
"""

# name: (python code, target seconds, target peak GiB or None)
BENCHMARKS = {
    "tuned vs untuned XGBoost, nested 5-fold CV, both stages, 20,000 simulated sessions": (
        _TUNED_VS_UNTUNED,
        60.0,
        None,
    ),
}
