"""Target-leakage screen: columns (or pairs of columns) that determine the outcome.

``abandoned_cart`` is defined by the outcome (``abandoned_cart = add_to_cart and not
purchase_decision``), so it is never a feature; :func:`leakage_audit` finds such columns on any
binary-outcome frame and :func:`audit_sessions` applies it to the session schema.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd
from sklearn.metrics import roc_auc_score

from ..reporting import num, pct
from ..schema import TARGET
from ._checks import binary_target
from .features import BROWSE, CART, funnel_identity, session_features

__all__ = ["leakage_audit", "LeakageReadout", "audit_sessions"]


def _determined_share(keys: list[pd.Series], y: pd.Series, min_group: int) -> float:
    """Share of rows in groups (of at least ``min_group`` rows) whose target is constant."""
    agg = y.groupby(keys, observed=True, dropna=False).agg(["min", "max", "size"])
    pure = agg[(agg["min"] == agg["max"]) & (agg["size"] >= min_group)]["size"].sum()
    return float(pure / len(y))


def leakage_audit(
    frame: pd.DataFrame,
    target: str,
    candidates: Sequence[str],
    *,
    auc_threshold: float = 0.95,
    determined_threshold: float = 0.99,
    max_levels: int = 20,
    min_group: int = 5,
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

    Returns
    -------
    DataFrame
        ``feature, auc, determined_share, flagged, reason``, flagged first.

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
    table = table.reset_index()
    return table.sort_values(["flagged", "auc"], ascending=[False, False], kind="stable").reset_index(drop=True)


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
        """Flagged columns and ``abandoned_cart`` (defined by the outcome), sorted."""
        return sorted(set(self.flagged["feature"]) | {"abandoned_cart"})

    def sentence(self) -> str:
        """The funnel identity and what the all-session audit flags."""
        i = self.identity
        flags = ", ".join(f"**{r.feature}** ({r.reason})" for r in self.flagged.itertuples())
        return (
            f"`purchase_decision == add_to_cart AND NOT abandoned_cart` holds on **{num(i['identity_holds'])} of "
            f"{num(i['rows'])}** rows ({num(i['identity_fails'])} exceptions). The audit flags "
            + (flags or "nothing")
            + ". `abandoned_cart` is defined by the outcome and is never a feature; `add_to_cart` is not a cause "
            "either: it is the stage a session has reached, so it defines the cart-stage population instead of "
            "being a feature."
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
    audit = leakage_audit(features, TARGET, BROWSE.features + ["add_to_cart", "abandoned_cart"])
    carts = features[features["add_to_cart"] == 1]
    cart_audit = leakage_audit(carts, TARGET, CART.features + ["abandoned_cart"])
    return LeakageReadout(funnel_identity(sessions), audit, cart_audit)
