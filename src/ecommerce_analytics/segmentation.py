"""Customer segmentation (k-means), RFM scoring, discount sensitivity and cohorts.

Customers are described by behavioural features averaged over their sessions (on a source with
one session per user this is the session itself). K is chosen from 2 to 8 by the elbow of the
inertia curve and the silhouette (:func:`choose_k` states the rule), and stability is
measured by the adjusted Rand index across bootstrap resamples.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score, silhouette_score
from sklearn.preprocessing import StandardScaler

from .metrics import net_revenue, proportion, rate_difference, rate_table
from .schema import TARGET

__all__ = [
    "FEATURE_LABELS",
    "customer_features",
    "KChoice",
    "choose_k",
    "fit_segments",
    "Segmentation",
    "bootstrap_stability",
    "segment_names",
    "segment_profiles",
    "strategic_notes",
    "rfm_scores",
    "discount_sensitivity",
    "users_return",
    "cohort_retention",
    "conversion_by_cohort_age",
    "age_group",
]

#: Behavioural features used for clustering, and how they read in names.
FEATURE_LABELS: dict[str, tuple[str, str, str]] = {
    # feature: (plain name, word when high, word when low)
    "log_pages": ("pages per session", "deep browsers", "quick visitors"),
    "log_seconds_per_page": ("seconds per page", "slow readers", "skimmers"),
    "log_price": ("price level", "premium", "budget"),
    "age": ("age", "older", "younger"),
}


def customer_features(sessions: pd.DataFrame) -> pd.DataFrame:
    """Per-user behavioural features (means over the user's sessions), indexed by ``user_id``.

    Columns: ``log_pages``, ``log_seconds_per_page``, ``log_price``, ``age``, plus ``sessions``,
    ``purchases`` and ``conversion`` for profiling (not clustering).
    """
    pages = sessions["pages_visited"].astype(float)
    frame = pd.DataFrame({
        "user_id": sessions["user_id"],
        "log_pages": np.log(pages),
        "log_seconds_per_page": np.log(np.maximum(sessions["time_spent"].astype(float), 1.0) / pages),
        "log_price": np.log(sessions["price"].astype(float)),
        "age": sessions["age"].astype(float),
        "purchase": sessions[TARGET].astype(int),
    })
    g = frame.groupby("user_id", sort=True)
    out = g[list(FEATURE_LABELS)].mean()
    out["sessions"] = g.size()
    out["purchases"] = g["purchase"].sum()
    out["conversion"] = out["purchases"] / out["sessions"]
    return out


@dataclass(frozen=True)
class KChoice:
    """How k was chosen: the curves, both criteria and the rule's outcome."""

    table: pd.DataFrame  # k, inertia, silhouette, elbow_distance
    k_elbow: int
    k_silhouette: int
    k: int
    rule: str


def _standardize(features: pd.DataFrame) -> np.ndarray:
    return StandardScaler().fit_transform(features[list(FEATURE_LABELS)].to_numpy(float))


def choose_k(features: pd.DataFrame, k_range: Sequence[int] = range(2, 9), *, seed: int = 0,
             silhouette_sample: int = 5000) -> KChoice:
    """Pick the number of segments from the elbow and the silhouette.

    Rule: find the elbow of the inertia curve (the k farthest below the chord joining the
    first and last points, after scaling both axes to [0, 1]); then take the k with the best
    silhouette among the k at or above the elbow. The elbow sets a floor (fewer segments leave
    structure unexplained); the silhouette picks among the rest (it alone tends to favour k = 2
    when groups overlap). Silhouettes use a fixed random sample of ``silhouette_sample`` customers.
    """
    z = _standardize(features)
    ks = [int(k) for k in k_range]
    if len(ks) < 3:
        raise ValueError("choose_k needs at least three candidate values of k")
    rng = np.random.default_rng(seed)
    sample = rng.choice(len(z), size=min(silhouette_sample, len(z)), replace=False)
    rows = []
    for k in ks:
        km = KMeans(n_clusters=k, n_init=10, random_state=seed).fit(z)
        sil = silhouette_score(z[sample], km.labels_[sample]) if len(set(km.labels_[sample])) > 1 else np.nan
        rows.append({"k": k, "inertia": float(km.inertia_), "silhouette": float(sil)})
    table = pd.DataFrame(rows)
    x = (table.k - table.k.iloc[0]) / (table.k.iloc[-1] - table.k.iloc[0])
    span = table.inertia.iloc[0] - table.inertia.iloc[-1]
    y = (table.inertia - table.inertia.iloc[-1]) / span if span > 0 else table.inertia * 0
    table["elbow_distance"] = (1 - x) - y
    k_elbow = int(table.k[table.elbow_distance.idxmax()])
    k_sil = int(table.k[table.silhouette.idxmax()])
    above = table[table.k >= k_elbow]
    k = int(above.k[above.silhouette.idxmax()])
    if k == k_elbow == k_sil:
        rule = "the elbow and the best silhouette agree"
    elif k == k_elbow:
        rule = (f"the elbow (k={k_elbow}) has the best silhouette from the elbow up; the best silhouette overall "
                f"is at k={k_sil}, below the elbow")
    else:
        rule = f"the best silhouette at or above the elbow (k={k_elbow}) is at k={k}"
    return KChoice(table, k_elbow, k_sil, k, rule)


@dataclass(frozen=True)
class Segmentation:
    """A fitted k-means segmentation of customers."""

    labels: pd.Series  # segment index per user_id
    centroids_z: pd.DataFrame  # standardized centroids, one row per segment
    names: list[str]
    k: int


def fit_segments(features: pd.DataFrame, k: int, *, seed: int = 0) -> Segmentation:
    """K-means on standardized features; segments are numbered by size (0 = largest)."""
    z = _standardize(features)
    km = KMeans(n_clusters=k, n_init=10, random_state=seed).fit(z)
    sizes = np.bincount(km.labels_, minlength=k)
    order = np.argsort(-sizes, kind="stable")
    remap = np.empty(k, dtype=int)
    remap[order] = np.arange(k)
    labels = pd.Series(remap[km.labels_], index=features.index, name="segment")
    centroids = pd.DataFrame(km.cluster_centers_[order], columns=list(FEATURE_LABELS))
    return Segmentation(labels, centroids, segment_names(centroids), k)


def segment_names(centroids_z: pd.DataFrame, threshold: float = 0.35) -> list[str]:
    """Names from standardized centroids: the words of the two strongest features.

    A feature speaks when its centroid is at least ``threshold`` standard deviations from
    the mean; its word is the "high" or "low" word of :data:`FEATURE_LABELS`. A centroid with
    no strong feature is "Average customers". Repeated names get a number.
    """
    names = []
    for _, row in centroids_z.iterrows():
        strong = row[row.abs() >= threshold].abs().sort_values(ascending=False).index[:2]
        words = [FEATURE_LABELS[f][1] if row[f] > 0 else FEATURE_LABELS[f][2] for f in strong]
        name = ", ".join(words) if words else "average customers"
        names.append(name[0].upper() + name[1:])
    seen: dict[str, int] = {}
    unique = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        unique.append(name if names.count(name) == 1 else f"{name} ({seen[name]})")
    return unique


def bootstrap_stability(features: pd.DataFrame, k: int, *, n_boot: int = 20, seed: int = 0,
                        max_rows: int = 50_000) -> pd.DataFrame:
    """Adjusted Rand index between the reference clustering and clusterings of bootstrap resamples.

    Each resample (drawn with replacement, at most ``max_rows`` rows) is clustered, and its
    centroids label the reference customers; the ARI compares those labels with the reference.
    Returns one row per resample (``ari``).
    """
    z = _standardize(features)
    rng = np.random.default_rng(seed)
    ref_idx = rng.choice(len(z), size=min(max_rows, len(z)), replace=False)
    reference = KMeans(n_clusters=k, n_init=10, random_state=seed).fit(z[ref_idx]).predict(z[ref_idx])
    aris = []
    for b in range(n_boot):
        idx = rng.choice(len(z), size=min(max_rows, len(z)), replace=True)
        km = KMeans(n_clusters=k, n_init=5, random_state=seed + b + 1).fit(z[idx])
        aris.append(adjusted_rand_score(reference, km.predict(z[ref_idx])))
    return pd.DataFrame({"resample": np.arange(n_boot), "ari": aris})


def segment_profiles(features: pd.DataFrame, seg: Segmentation) -> pd.DataFrame:
    """Size, share, mean features (original units) and session conversion with a Wilson CI."""
    frame = features.assign(segment=seg.labels)
    g = frame.groupby("segment")
    prof = pd.DataFrame({
        "customers": g.size(),
        "sessions": g["sessions"].sum(),
        "purchases": g["purchases"].sum(),
        "pages_per_session": np.exp(g["log_pages"].mean()),
        "seconds_per_page": np.exp(g["log_seconds_per_page"].mean()),
        "typical_price": np.exp(g["log_price"].mean()),
        "age": g["age"].mean(),
    })
    prof["share"] = prof.customers / prof.customers.sum()
    ests = [proportion(p, n) for p, n in zip(prof.purchases, prof.sessions)]
    prof["conversion"] = [e.estimate for e in ests]
    prof["ci_low"] = [e.ci_low for e in ests]
    prof["ci_high"] = [e.ci_high for e in ests]
    prof.insert(0, "name", [seg.names[i] for i in prof.index])
    return prof.reset_index()


def discount_sensitivity(sessions: pd.DataFrame, groups: pd.Series, *, threshold: float = 0.0) -> pd.DataFrame:
    """Per group: conversion with and without a discount (> ``threshold``), and the difference
    with a Newcombe interval. Descriptive: discounts are not randomized."""
    disc = sessions["discount_applied"] > threshold
    rows = []
    for level in sorted(pd.unique(groups)):
        mask = (groups == level).to_numpy()
        y = sessions[TARGET].to_numpy()[mask]
        d = disc.to_numpy()[mask]
        n1, n0 = int(d.sum()), int((~d).sum())
        s1, s0 = int(y[d].sum()), int(y[~d].sum())
        if n1 == 0 or n0 == 0:
            rows.append({"group": level, "n_discount": n1, "n_no_discount": n0, "rate_discount": np.nan,
                         "rate_no_discount": np.nan, "difference": np.nan, "ci_low": np.nan, "ci_high": np.nan})
            continue
        diff = rate_difference(s1, n1, s0, n0)
        rows.append({"group": level, "n_discount": n1, "n_no_discount": n0, "rate_discount": s1 / n1,
                     "rate_no_discount": s0 / n0, "difference": diff.estimate,
                     "ci_low": diff.ci_low, "ci_high": diff.ci_high})
    return pd.DataFrame(rows)


def strategic_notes(profiles: pd.DataFrame, overall_conversion: float,
                    sensitivity: pd.DataFrame | None = None) -> list[str]:
    """One plain-language note per segment, generated from its profile by fixed rules."""
    notes = []
    sens = sensitivity.set_index("group") if sensitivity is not None else None
    median_price = profiles.typical_price.median()
    for _, row in profiles.iterrows():
        above = row.ci_low > overall_conversion
        below = row.ci_high < overall_conversion
        if above:
            stance = "converts above average: protect the experience and margin; avoid blanket discounts"
        elif below:
            stance = "converts below average: nurture with reminders, recommendations and social proof"
        else:
            stance = "converts about average: test targeted nudges before scaling them"
        extra = []
        if row.typical_price > 1.5 * median_price:
            extra.append("high-ticket items: financing, warranties and reviews matter")
        if sens is not None and row.segment in sens.index:
            s = sens.loc[row.segment]
            if pd.notna(s.ci_low) and s.ci_low > 0:
                extra.append("discounted sessions convert better here (observational): a candidate for a coupon test")
        text = f"**{row['name']}** ({row.share:.0%} of customers, conversion {row.conversion:.1%}): {stance}"
        notes.append(text + ("; " + "; ".join(extra) if extra else "") + ".")
    return notes


# ------------------------------------------------------------------------------------ RFM
def rfm_scores(sessions: pd.DataFrame, as_of: pd.Timestamp | None = None) -> pd.DataFrame:
    """Recency, frequency and monetary value per user, each scored 1-5 by quintile of rank.

    Recency is days from the user's last session to ``as_of`` (default: the last session in
    the data); frequency is sessions; monetary is net revenue. A component with a single
    distinct value (frequency on a one-session-per-user source) scores 3 for everyone.
    Segments: Champions (R, F, M >= 4), Loyal (F >= 4), Big spenders (M >= 4),
    At risk (R <= 2 and F >= 3), Hibernating (R <= 2), Promising (others).
    """
    as_of = as_of if as_of is not None else sessions["purchase_date"].max()
    frame = pd.DataFrame({"user_id": sessions["user_id"], "date": sessions["purchase_date"],
                          "revenue": net_revenue(sessions)})
    g = frame.groupby("user_id", sort=True)
    rfm = pd.DataFrame({
        "recency_days": (as_of - g["date"].max()).dt.total_seconds() / 86400.0,
        "frequency": g.size(),
        "monetary": g["revenue"].sum(),
    })

    def score(values: pd.Series, higher_is_better: bool) -> pd.Series:
        if values.nunique() < 2:
            return pd.Series(3, index=values.index)
        ranks = values.rank(method="first", ascending=higher_is_better)
        return pd.Series(np.ceil(5 * ranks / len(values)).astype(int).clip(1, 5), index=values.index)

    rfm["R"] = score(rfm.recency_days, higher_is_better=False)
    rfm["F"] = score(rfm.frequency, True)
    rfm["M"] = score(rfm.monetary, True)
    conditions = [
        (rfm.R >= 4) & (rfm.F >= 4) & (rfm.M >= 4),
        rfm.F >= 4,
        rfm.M >= 4,
        (rfm.R <= 2) & (rfm.F >= 3),
        rfm.R <= 2,
    ]
    rfm["rfm_segment"] = np.select(conditions, ["Champions", "Loyal", "Big spenders", "At risk", "Hibernating"],
                                   "Promising")
    return rfm


# -------------------------------------------------------------------------------- cohorts
def users_return(sessions: pd.DataFrame) -> bool:
    """True when some users have more than one session (so cohorts can show retention)."""
    return bool(sessions["user_id"].duplicated().any())


def _week_start(ts: pd.Series) -> pd.Series:
    return ts.dt.normalize() - pd.to_timedelta(ts.dt.day_of_week, unit="D")


def cohort_retention(sessions: pd.DataFrame) -> pd.DataFrame:
    """Weekly acquisition cohorts: share of each cohort's users active k weeks after their first.

    Rows are cohorts (the Monday of the user's first session), columns are weeks since
    acquisition (0, 1, ...), values are the share of the cohort's users with a session in that
    week; weeks after the data ends are NaN. The ``users`` column holds cohort sizes.
    """
    week = _week_start(sessions["purchase_date"])
    first = week.groupby(sessions["user_id"]).transform("min")
    age = ((week - first).dt.days // 7).astype(int)
    active = pd.DataFrame({"cohort": first, "age": age, "user": sessions["user_id"]}).drop_duplicates()
    counts = active.groupby(["cohort", "age"]).size().unstack(fill_value=0)
    sizes = counts[0]
    matrix = counts.div(sizes, axis=0)
    last_week = week.max()
    for cohort in matrix.index:
        observable = int((last_week - cohort).days // 7)
        matrix.loc[cohort, matrix.columns > observable] = np.nan
    matrix.insert(0, "users", sizes)
    matrix.index = matrix.index.strftime("%Y-%m-%d")
    matrix.index.name = "cohort"
    return matrix


def conversion_by_cohort_age(sessions: pd.DataFrame) -> pd.DataFrame:
    """Session conversion by weeks since the user's first session, with Wilson CIs."""
    week = _week_start(sessions["purchase_date"])
    first = week.groupby(sessions["user_id"]).transform("min")
    age = ((week - first).dt.days // 7).astype(int)
    table = rate_table(sessions, age.rename("weeks_since_first"))
    return table.rename(columns={"level": "weeks_since_first"})


def age_group(age: pd.Series) -> pd.Series:
    """Age bands 13-17, 18-24, 25-34, 35-44, 45-54, 55-64, 65+ (as in ``04_demographics.sql``)."""
    bins = [-np.inf, 18, 25, 35, 45, 55, 65, np.inf]
    labels = ["13-17", "18-24", "25-34", "35-44", "45-54", "55-64", "65+"]
    return pd.cut(age, bins, right=False, labels=labels).astype(str)
