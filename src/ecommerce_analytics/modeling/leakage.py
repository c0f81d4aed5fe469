"""Target-leakage screen: columns (or pairs of columns) that determine the outcome.

``abandoned_cart`` is defined by the outcome (``abandoned_cart = add_to_cart and not
purchase_decision``), so it is never a feature; :func:`leakage_audit` finds such columns on any
binary-outcome frame and :func:`audit_sessions` applies it to the session schema.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OrdinalEncoder
from threadpoolctl import threadpool_limits

from ..reporting import num, pct
from ..schema import TARGET
from ._checks import binary_target
from .features import BROWSE, CART, funnel_identity, session_features

__all__ = ["TIMING_AUC", "TIMING_SHARE", "TIMING_FLOOR", "leakage_audit", "LeakageReadout", "audit_sessions"]

#: Timing check: a feature whose own cross-validated ROC-AUC reaches this is flagged.
TIMING_AUC = 0.85
#: Timing check: a feature whose removal costs this share of the full model's lift over 0.5 is flagged
#: (when it alone reaches :data:`TIMING_FLOOR`).
TIMING_SHARE = 0.5
#: Timing check: the drop-column rule applies to features whose own cross-validated ROC-AUC reaches this.
TIMING_FLOOR = 0.80


def _determined_share(keys: list[pd.Series], y: pd.Series, min_group: int) -> float:
    """Share of rows in groups (of at least ``min_group`` rows) whose target is constant."""
    agg = y.groupby(keys, observed=True, dropna=False).agg(["min", "max", "size"])
    pure = agg[(agg["min"] == agg["max"]) & (agg["size"] >= min_group)]["size"].sum()
    return float(pure / len(y))


def _timing_model(numeric: list[str], categorical: list[str]) -> Pipeline:
    """The timing check's model: gradient-boosted trees on every candidate (ordinal-coded categoricals)."""
    prep = ColumnTransformer(
        [
            ("num", "passthrough", numeric),
            ("cat", OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=np.nan), categorical),
        ]
    )
    mask = [False] * len(numeric) + [True] * len(categorical)
    return Pipeline(
        [
            ("prep", prep),
            (
                "model",
                HistGradientBoostingClassifier(
                    max_iter=60,
                    learning_rate=0.1,
                    max_leaf_nodes=15,
                    early_stopping=False,
                    categorical_features=mask if categorical else None,
                    random_state=0,
                ),
            ),
        ]
    )


def _cv_auc(frame: pd.DataFrame, y: np.ndarray, features: list[str], folds: list, max_levels: int) -> float:
    """Out-of-fold ROC-AUC of the timing model on ``features``."""
    categorical = [c for c in features if not pd.api.types.is_numeric_dtype(frame[c])]
    numeric = [c for c in features if c not in categorical]
    X = frame[features].copy()
    for c in categorical:
        X[c] = X[c].astype(str)
    oof = np.zeros(len(y))
    # One thread: the trees are the same on every machine, and fast on a busy one.
    with threadpool_limits(limits=1, user_api="openmp"):
        for train, test in folds:
            model = _timing_model(numeric, categorical).fit(X.iloc[train], y[train])
            oof[test] = model.predict_proba(X.iloc[test])[:, 1]
    return float(roc_auc_score(y, oof))


def _single_cv_auc(x: pd.Series, y: np.ndarray, folds: list, max_levels: int, bins: int = 20) -> float:
    """Out-of-fold ROC-AUC of one feature: each row scored by the training folds' target rate of its bin or level.

    A numeric column with more than ``max_levels`` values is cut at ``bins`` quantiles of the
    training folds; a missing value is a level of its own; an unseen level gets the training rate.
    """
    oof = np.zeros(len(y))
    numeric = pd.api.types.is_numeric_dtype(x) and x.nunique() > max_levels
    values = x.to_numpy()
    for train, test in folds:
        prior = float(y[train].mean())
        if numeric:
            edges = np.unique(np.nanquantile(values[train].astype(float), np.linspace(0, 1, bins + 1)[1:-1]))
            keys = pd.Series(np.where(pd.isna(values), -1, np.searchsorted(edges, values.astype(float), side="right")))
        else:
            keys = pd.Series(values, dtype=object).astype(str)
        rates = pd.Series(y[train]).groupby(keys.iloc[train].to_numpy()).agg(["sum", "size"])
        smoothed = (rates["sum"] + prior) / (rates["size"] + 1)  # one pseudo-row at the training rate
        oof[test] = keys.iloc[test].map(smoothed).fillna(prior).to_numpy()
    return float(roc_auc_score(y, oof))


def leakage_audit(
    frame: pd.DataFrame,
    target: str,
    candidates: Sequence[str],
    *,
    auc_threshold: float = 0.95,
    determined_threshold: float = 0.99,
    max_levels: int = 20,
    min_group: int = 5,
    timing_check: bool = True,
    timing_auc: float = TIMING_AUC,
    timing_share: float = TIMING_SHARE,
    timing_floor: float = TIMING_FLOOR,
    folds: int = 3,
    timing_rows: int = 5000,
    seed: int = 0,
) -> pd.DataFrame:
    """Screen candidate features for target leakage.

    For each candidate: the single-feature ROC-AUC (categoricals are scored by their level's
    target rate; the AUC is folded to at least 0.5) and the share of rows whose target is
    determined by the feature value (groups of at least ``min_group`` rows with a constant
    target). Pairs of low-cardinality candidates (at most ``max_levels`` levels each) are
    checked for joint determination too (pairs of columns not flagged on their own). A
    candidate is flagged when its AUC is at least ``auc_threshold``, when it alone determines
    at least ``determined_threshold`` of the target, or when a pair it belongs to does; the
    reason is stated.

    **Timing check** (real exports carry post-outcome aggregates that determine nothing exactly
    but carry the prediction): among the candidates not flagged above, ``cv_auc`` is a feature's
    own cross-validated ROC-AUC (``folds`` stratified folds; each row scored by the training
    folds' target rate of its level, or of its quantile bin for a numeric column) and
    ``full_auc`` the cross-validated ROC-AUC of gradient-boosted trees on all of them. A feature
    with ``cv_auc >= timing_floor`` whose own lift over 0.5 is at least ``timing_share`` of the
    full model's lift is checked by dropping it: ``drop_cost`` is ``full_auc`` minus the AUC
    without it (NaN when not checked). It is flagged "check timing: is this known before the
    outcome?" when ``cv_auc >= timing_auc``, or when ``drop_cost >= timing_share * (full_auc -
    0.5)``: alone it is very predictive, or it carries most of the full model's lift. A timing
    flag is a question for whoever knows the export, not proof of a leak.

    Parameters
    ----------
    frame : DataFrame
        The rows, with ``target`` and every candidate.
    target : str
        A binary outcome column: bools, 0/1 numbers or yes/no, true/false strings (any case).
    candidates : sequence of str
        Columns to screen.
    auc_threshold, determined_threshold : float
        Flagging thresholds (see above).
    max_levels, min_group : int
        Most levels of a column checked in pairs; fewest rows of a group counted as determined.
    timing_check : bool
        Whether to run the timing check (its columns are NaN/False otherwise).
    timing_auc, timing_share, timing_floor : float
        The timing check's thresholds (defaults :data:`TIMING_AUC`, :data:`TIMING_SHARE` and
        :data:`TIMING_FLOOR`).
    folds : int
        Cross-validation folds of the timing check (at least 2).
    timing_rows : int
        The timing check runs on at most this many rows (a stratified sample drawn with ``seed``),
        so that it stays cheap on large exports; the determination rules use every row.
    seed : int
        Seed of its sample and folds.

    Returns
    -------
    DataFrame
        ``feature, auc, determined_share, cv_auc, full_auc, drop_cost, timing_check, flagged,
        reason``, flagged first.

    Examples
    --------
    >>> f = pd.DataFrame({"y": [0, 1] * 10, "leak": [0, 1] * 10, "x": [i % 3 for i in range(20)]})
    >>> leakage_audit(f, "y", ["x", "leak"])[["feature", "flagged"]].values.tolist()
    [['leak', True], ['x', False]]
    """
    y = pd.Series(binary_target(frame[target], f"target {target!r}"), index=frame.index, name=target)
    if y.nunique() != 2:
        raise ValueError(f"target {target!r} must have two classes, found {y.nunique()}")
    rows = []
    for col in candidates:
        x = frame[col]
        if pd.api.types.is_numeric_dtype(x) and x.nunique() > max_levels:
            score = x.astype(float)
        else:  # a level is scored by its target rate
            score = y.groupby(x, observed=True).transform("mean").astype(float)
        auc = roc_auc_score(y, score.fillna(score.mean()))
        share = _determined_share([x.round(6) if pd.api.types.is_float_dtype(x) else x], y, min_group)
        rows.append(
            {"feature": col, "auc": float(max(auc, 1 - auc)), "determined_share": share, "flagged": False, "reason": ""}
        )
    table = pd.DataFrame(rows).set_index("feature")
    for col in table.index:
        if table.loc[col, "auc"] >= auc_threshold:
            table.loc[col, ["flagged", "reason"]] = [
                True,
                f"single-feature ROC-AUC {table.loc[col, 'auc']:.3f} >= {auc_threshold}",
            ]
        elif table.loc[col, "determined_share"] >= determined_threshold:
            table.loc[col, ["flagged", "reason"]] = [
                True,
                f"its value alone determines the target on {table.loc[col, 'determined_share']:.1%} of rows",
            ]
    # Pairs: only among columns that do not determine the target on their own.
    low = [c for c in candidates if frame[c].nunique() <= max_levels and not table.loc[c, "flagged"]]
    for a, b in itertools.combinations(low, 2):
        share = _determined_share([frame[a], frame[b]], y, min_group)
        if share >= determined_threshold:
            for col, other in ((a, b), (b, a)):
                if not table.loc[col, "flagged"]:
                    table.loc[col, ["flagged", "reason"]] = [
                        True,
                        f"with {other}, determines the target on {share:.1%} of rows",
                    ]
    for col in ("cv_auc", "full_auc", "drop_cost"):
        table[col] = np.nan
    table["timing_check"] = False
    honest = [c for c in candidates if not table.loc[c, "flagged"]]
    if timing_check and honest:
        if isinstance(timing_rows, bool) or not isinstance(timing_rows, (int, np.integer)) or timing_rows < 100:
            raise ValueError(f"timing_rows must be an integer of at least 100, got {timing_rows!r}")
        rows = frame.index
        if len(frame) > timing_rows:
            rows, _ = train_test_split(frame.index, train_size=timing_rows, stratify=y, random_state=seed)
        sample = frame.loc[rows].reset_index(drop=True)
        _timing(
            table,
            sample,
            y.loc[rows].to_numpy(),
            honest,
            (timing_auc, timing_share, timing_floor),
            folds,
            seed,
            max_levels,
        )
    table = table.reset_index()
    columns = ["feature", "auc", "determined_share", "cv_auc", "full_auc", "drop_cost", "timing_check", "flagged"]
    table = table[columns + ["reason"]]
    return table.sort_values(["flagged", "auc"], ascending=[False, False], kind="stable").reset_index(drop=True)


def _timing(
    table: pd.DataFrame,
    frame: pd.DataFrame,
    y: np.ndarray,
    honest: list[str],
    thresholds: tuple[float, float, float],
    folds: int,
    seed: int,
    max_levels: int,
) -> None:
    """Fill the timing check's columns of ``table`` and flag what it finds (see :func:`leakage_audit`)."""
    timing_auc, timing_share, timing_floor = thresholds
    if not 0.5 < timing_auc <= 1:
        raise ValueError(f"timing_auc must lie in (0.5, 1], got {timing_auc!r}")
    if not 0 < timing_share <= 1:
        raise ValueError(f"timing_share must lie in (0, 1], got {timing_share!r}")
    if not 0.5 < timing_floor <= 1:
        raise ValueError(f"timing_floor must lie in (0.5, 1], got {timing_floor!r}")
    if isinstance(folds, bool) or not isinstance(folds, (int, np.integer)) or folds < 2:
        raise ValueError(f"folds must be an integer of at least 2, got {folds!r}")
    splits = list(StratifiedKFold(folds, shuffle=True, random_state=seed).split(np.zeros(len(y)), y))
    full = _cv_auc(frame, y, honest, splits, max_levels)
    lift = full - 0.5
    for col in honest:
        own = _single_cv_auc(frame[col], y, splits, max_levels)
        table.loc[col, ["cv_auc", "full_auc"]] = [own, full]
        drop = np.nan
        if own >= timing_floor and lift > 0 and own - 0.5 >= timing_share * lift:
            rest = [c for c in honest if c != col]
            drop = full - (_cv_auc(frame, y, rest, splits, max_levels) if rest else 0.5)
            table.loc[col, "drop_cost"] = drop
        if own >= timing_auc or (lift > 0 and drop >= timing_share * lift):
            table.loc[col, ["timing_check", "flagged", "reason"]] = [
                True,
                True,
                f"check timing: is this known before the outcome? Alone it scores cross-validated ROC-AUC {own:.3f} "
                f"(all unflagged features {full:.3f})" + ("" if np.isnan(drop) else f"; dropping it costs {drop:.3f}"),
            ]


@dataclass(frozen=True)
class LeakageReadout:
    """The leakage audit of the sessions: funnel identity, all-session audit and cart-stage audit.

    Attributes
    ----------
    identity : dict
        :func:`~.features.funnel_identity` of the sessions.
    audit : DataFrame
        :func:`leakage_audit` of the browse features and both cart flags on every session.
    cart_audit : DataFrame
        :func:`leakage_audit` of the cart features and ``abandoned_cart`` among carts.
    """

    identity: dict
    audit: pd.DataFrame
    cart_audit: pd.DataFrame

    @property
    def flagged(self) -> pd.DataFrame:
        """Rows of :attr:`audit` that are flagged."""
        return self.audit[self.audit["flagged"]]

    @property
    def excluded_features(self) -> list[str]:
        """Columns flagged by the determination rules and ``abandoned_cart`` (defined by the outcome), sorted.

        A timing-check flag is a question about the export, not a proven leak: such columns are
        named in :meth:`timing_sentence`, not excluded here.
        """
        flagged = self.flagged
        if "timing_check" in flagged.columns:
            flagged = flagged[~flagged["timing_check"].astype(bool)]
        determined = flagged
        return sorted(set(determined["feature"]) | {"abandoned_cart"})

    def timing_sentence(self) -> str:
        """What the timing check found among the columns the determination rules left (all sessions).

        Empty when the audit has no timing-check columns (it was not run).
        """
        a = self.audit
        if "cv_auc" not in a.columns or "timing_check" not in a.columns or a["cv_auc"].isna().all():
            return ""
        checked = a[a["cv_auc"].notna()]
        full = float(checked["full_auc"].iloc[0])
        top = checked.sort_values("cv_auc", ascending=False, kind="stable").iloc[0]
        rule = (
            f"a column alone at cross-validated ROC-AUC {TIMING_AUC:.2f} or more, or at {TIMING_FLOOR:.2f} or more "
            f"with its removal costing at least {TIMING_SHARE:.0%} of the full model's lift over 0.5"
        )
        timing = a[a["timing_check"]]
        if timing.empty:
            return (
                f"Timing check ({rule}): nothing is flagged; all unflagged columns together score "
                f"{full:.3f}, and the strongest alone, {top.feature}, {top.cv_auc:.3f}."
            )
        names = ", ".join(f"**{r.feature}**" for r in timing.itertuples())
        return (
            f"Timing check ({rule}): {names} "
            + ("carries" if len(timing) == 1 else "carry")
            + " most of the prediction (all unflagged columns together score "
            f"{full:.3f}): check that "
            + ("it is" if len(timing) == 1 else "they are")
            + " known before the outcome before using "
            + ("it." if len(timing) == 1 else "them.")
        )

    def sentence(self) -> str:
        """The funnel identity, what the all-session audit flags, and the timing check."""
        i = self.identity
        flags = ", ".join(f"**{r.feature}** ({r.reason})" for r in self.flagged.itertuples())
        return (
            f"`purchase_decision == add_to_cart AND NOT abandoned_cart` holds on **{num(i['identity_holds'])} of "
            f"{num(i['rows'])}** rows ({num(i['identity_fails'])} exceptions). The audit flags "
            + (flags or "nothing")
            + ". `abandoned_cart` is defined by the outcome and is never a feature; `add_to_cart` is not a cause "
            "either: it is the stage a session has reached, so it defines the cart-stage population instead of "
            "being a feature." + (" " + self.timing_sentence() if self.timing_sentence() else "")
        )

    def cart_sentence(self) -> str:
        """What ``abandoned_cart`` scores among carts, and the excluded features."""
        leak = self.cart_audit.set_index("feature").loc["abandoned_cart"]
        return (
            f"Among carts, `abandoned_cart` alone scores ROC-AUC **{leak.auc:.3f}** and determines "
            f"{pct(leak.determined_share)} of outcomes: it *is* the outcome there. Excluded features: "
            + ", ".join(self.excluded_features)
            + "."
        )


def audit_sessions(sessions: pd.DataFrame) -> LeakageReadout:
    """Leakage audit of the session schema: every session, then carts only.

    Parameters
    ----------
    sessions : DataFrame
        Validated sessions with both cart flags and the target.

    Returns
    -------
    LeakageReadout
        The funnel identity and both audits.
    """
    missing = [c for c in ("add_to_cart", "abandoned_cart", TARGET) if c not in sessions.columns]
    if missing:
        raise ValueError(f"sessions must have columns add_to_cart, abandoned_cart and {TARGET}; missing {missing}")
    features = session_features(sessions)
    # The stages' features the data has (a dataset of another shop may lack some of them).
    browse, cart = BROWSE.restricted_to(features), CART.restricted_to(features)
    audit = leakage_audit(features, TARGET, browse.features + ["add_to_cart", "abandoned_cart"])
    carts = features[features["add_to_cart"] == 1]
    cart_audit = leakage_audit(carts, TARGET, cart.features + ["abandoned_cart"])
    return LeakageReadout(funnel_identity(sessions), audit, cart_audit)
