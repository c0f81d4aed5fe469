"""Customer segmentation (k-means), discount sensitivity, and (re-exported) RFM and cohorts.

Customers are described by features chosen by the caller (by default four behavioural
features averaged over their sessions: :func:`customer_features`). K is chosen from 2 to 8 by
the elbow of the inertia curve and the silhouette (:func:`choose_k` states the rule), and
stability is measured by the adjusted Rand index across bootstrap resamples.
:class:`Segmenter` wraps the whole recipe as a scikit-learn estimator that assigns new
customers to segments. RFM, cohorts, repeat-purchase curves and inter-purchase times live in
:mod:`.transactions` and are re-exported here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from numbers import Integral, Real

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClusterMixin, TransformerMixin
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score, silhouette_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import check_is_fitted

from .metrics import proportion, rate_difference
from .schema import TARGET
from .transactions import (
    InterPurchaseTimes,
    cohort_retention,
    conversion_by_cohort_age,
    inter_purchase_times,
    repeat_purchase_curve,
    rfm_scores,
    tie_aware_score,
    users_return,
)

__all__ = [
    "FEATURE_LABELS",
    "customer_features",
    "KChoice",
    "choose_k",
    "fit_segments",
    "Segmentation",
    "Segmenter",
    "bootstrap_stability",
    "segment_names",
    "segment_profiles",
    "strategic_notes",
    "rfm_scores",
    "tie_aware_score",
    "discount_sensitivity",
    "users_return",
    "cohort_retention",
    "conversion_by_cohort_age",
    "repeat_purchase_curve",
    "inter_purchase_times",
    "InterPurchaseTimes",
    "age_group",
]

#: Behavioural features used for clustering by default, and how they read in names.
FEATURE_LABELS: dict[str, tuple[str, str, str]] = {
    # feature: (plain name, word when high, word when low)
    "log_pages": ("pages per session", "deep browsers", "quick visitors"),
    "log_seconds_per_page": ("seconds per page", "slow readers", "skimmers"),
    "log_price": ("price level", "premium", "budget"),
    "age": ("age", "older", "younger"),
}

#: How the default features are profiled in original units: (profile column, back-transform).
_PROFILE_COLUMNS = {
    "log_pages": ("pages_per_session", np.exp),
    "log_seconds_per_page": ("seconds_per_page", np.exp),
    "log_price": ("typical_price", np.exp),
    "age": ("age", None),
}
_SESSION_COLUMNS = ("user_id", "pages_visited", "time_spent", "price", "age", TARGET)


def customer_features(sessions: pd.DataFrame, *, customer: str = "user_id") -> pd.DataFrame:
    """Per-customer behavioural features (means over the customer's sessions) of the session contract.

    Parameters
    ----------
    sessions : DataFrame
        Sessions with ``pages_visited``, ``time_spent``, ``price``, ``age`` and
        ``purchase_decision`` (for another schema, build your own customer table and pass
        its columns as ``features=`` to :class:`Segmenter`).
    customer : str, default "user_id"
        Customer id column.

    Returns
    -------
    DataFrame
        Indexed by customer: ``log_pages``, ``log_seconds_per_page``, ``log_price``, ``age``,
        plus ``sessions``, ``purchases`` and ``conversion`` for profiling (not clustering).

    Examples
    --------
    >>> sessions = pd.DataFrame({"user_id": ["a", "a", "b"], "pages_visited": [2, 8, 4], "time_spent": [60, 240, 40],
    ...                          "price": [10.0, 40.0, 20.0], "age": [30, 30, 50], "purchase_decision": [0, 1, 1]})
    >>> customer_features(sessions)[["sessions", "purchases", "conversion"]]  # doctest: +NORMALIZE_WHITESPACE
             sessions  purchases  conversion
    user_id
    a               2          1         0.5
    b               1          1         1.0
    >>> round(float(np.exp(customer_features(sessions).loc["a", "log_price"])), 6)  # geometric mean of 10 and 40
    20.0
    """
    needed = [customer if c == "user_id" else c for c in _SESSION_COLUMNS]
    missing = [c for c in needed if c not in sessions.columns]
    if missing:
        raise ValueError(
            f"customer_features: missing column(s) {', '.join(map(repr, missing))} of the session "
            "contract (the customer id is set with customer=); for another schema build a customer table "
            "and pass its columns to Segmenter(features=...)"
        )
    pages = sessions["pages_visited"].astype(float)
    frame = pd.DataFrame(
        {
            "user_id": sessions[customer],
            "log_pages": np.log(pages),
            "log_seconds_per_page": np.log(np.maximum(sessions["time_spent"].astype(float), 1.0) / pages),
            "log_price": np.log(sessions["price"].astype(float)),
            "age": sessions["age"].astype(float),
            "purchase": sessions[TARGET].astype(int),
        }
    )
    g = frame.groupby("user_id", sort=True)
    out = g[list(FEATURE_LABELS)].mean()
    out["sessions"] = g.size()
    out["purchases"] = g["purchase"].sum()
    out["conversion"] = out["purchases"] / out["sessions"]
    if customer != "user_id":
        out.index.name = customer
    return out


def _feature_list(frame: pd.DataFrame, features: Sequence[str] | None, where: str) -> list[str]:
    """The caller's features (default: those of :data:`FEATURE_LABELS`), checked against ``frame``."""
    if features is None:
        features = list(FEATURE_LABELS)
    elif isinstance(features, str):
        raise ValueError(f"{where}: features must be a list of column names, got the string {features!r}")
    features = list(features)
    if not features:
        raise ValueError(f"{where}: features must name at least one column")
    if len(set(features)) != len(features):
        raise ValueError(f"{where}: features has duplicates: {features}")
    missing = [f for f in features if f not in frame.columns]
    if missing:
        raise ValueError(
            f"{where}: feature column(s) {', '.join(map(repr, missing))} not in the frame; pass the "
            f"columns to cluster on as features=[...] (the frame has: {', '.join(map(str, frame.columns))})"
        )
    return features


def _standardize(frame: pd.DataFrame, features: Sequence[str] | None = None, where: str = "segmentation") -> np.ndarray:
    cols = _feature_list(frame, features, where)
    return StandardScaler().fit_transform(frame[cols].to_numpy(float))


@dataclass(frozen=True)
class KChoice:
    """How k was chosen: the curves, both criteria and the rule's outcome."""

    table: pd.DataFrame  # k, inertia, silhouette, elbow_distance
    k_elbow: int
    k_silhouette: int
    k: int
    rule: str


def choose_k(
    data: pd.DataFrame,
    k_range: Sequence[int] = range(2, 9),
    *,
    seed: int = 0,
    silhouette_sample: int = 5000,
    features: Sequence[str] | None = None,
) -> KChoice:
    """Pick the number of segments from the elbow and the silhouette.

    Rule: find the elbow of the inertia curve (the k farthest below the chord joining the
    first and last points, after scaling both axes to [0, 1]); then take the k with the best
    silhouette among the k at or above the elbow. The elbow sets a floor (fewer segments leave
    structure unexplained); the silhouette picks among the rest (it alone tends to favour k = 2
    when groups overlap). Silhouettes use a fixed random sample of ``silhouette_sample`` customers.

    Parameters
    ----------
    data : DataFrame
        One row per customer.
    k_range : sequence of int, default range(2, 9)
        Candidate numbers of segments (at least three).
    seed : int, default 0
    silhouette_sample : int, default 5000
    features : list of str, optional
        Columns to cluster on (standardized); default the four of :data:`FEATURE_LABELS`.

    Returns
    -------
    KChoice

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> centres = np.repeat([[0, 0], [8, 0], [0, 8]], 50, axis=0)
    >>> data = pd.DataFrame(centres + rng.normal(size=(150, 2)), columns=["spend", "visits"])
    >>> choose_k(data, range(2, 6), features=["spend", "visits"]).k
    3
    """
    z = _standardize(data, features, "choose_k")
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
        rule = (
            f"the elbow (k={k_elbow}) has the best silhouette from the elbow up; the best silhouette overall "
            f"is at k={k_sil}, below the elbow"
        )
    else:
        rule = f"the best silhouette at or above the elbow (k={k_elbow}) is at k={k}"
    return KChoice(table, k_elbow, k_sil, k, rule)


@dataclass(frozen=True)
class Segmentation:
    """A fitted k-means segmentation of customers."""

    labels: pd.Series  # segment index per customer
    centroids_z: pd.DataFrame  # standardized centroids, one row per segment, one column per feature
    names: list[str]
    k: int


def fit_segments(data: pd.DataFrame, k: int, *, seed: int = 0, features: Sequence[str] | None = None) -> Segmentation:
    """K-means on standardized features; segments are numbered by size (0 = largest).

    The same fit as ``Segmenter(n_clusters=k, features=features, random_state=seed, n_boot=0)``.

    Examples
    --------
    >>> data = pd.DataFrame({"spend": [1.0, 1.1, 0.9, 1.0, 9.0, 9.2], "visits": [1.0, 2, 1, 2, 8, 9]})
    >>> fit_segments(data, 2, features=["spend", "visits"]).labels.tolist()
    [0, 0, 0, 0, 1, 1]
    """
    model = Segmenter(n_clusters=k, features=features, random_state=seed, n_boot=0).fit(data)
    return Segmentation(model.segments_, model.centroids_, model.names_, model.n_clusters_)


def _words(feature: str, labels: Mapping[str, tuple[str, str, str]] | None) -> tuple[str, str, str]:
    known = {**FEATURE_LABELS, **(labels or {})}
    return known.get(feature, (feature, f"high {feature}", f"low {feature}"))


def segment_names(
    centroids_z: pd.DataFrame,
    threshold: float = 0.35,
    *,
    features: Sequence[str] | None = None,
    labels: Mapping[str, tuple[str, str, str]] | None = None,
) -> list[str]:
    """Names from standardized centroids: the words of the two strongest features.

    A feature speaks when its centroid is at least ``threshold`` standard deviations from
    the mean; its word is the "high" or "low" word of :data:`FEATURE_LABELS` (or of ``labels``),
    and "high <feature>" / "low <feature>" for a feature without words. A centroid with no
    strong feature is "Average customers". Repeated names get a number.

    Parameters
    ----------
    centroids_z : DataFrame
        One row per segment, one column per feature, in standard deviations from the mean.
    threshold : float, default 0.35
    features : list of str, optional
        Columns to name from (default: all columns of ``centroids_z``).
    labels : dict, optional
        ``{feature: (plain name, word when high, word when low)}``, added to :data:`FEATURE_LABELS`.

    Returns
    -------
    list of str

    Examples
    --------
    >>> centroids = pd.DataFrame({"log_price": [1.0, -0.1], "monetary": [-0.6, 0.2]})
    >>> segment_names(centroids)
    ['Premium, low monetary', 'Average customers']
    >>> segment_names(centroids, labels={"monetary": ("spend", "big spenders", "small spenders")})
    ['Premium, small spenders', 'Average customers']
    """
    cols = list(centroids_z.columns) if features is None else _feature_list(centroids_z, features, "segment_names")
    names = []
    for _, row in centroids_z[cols].iterrows():
        strong = row[row.abs() >= threshold].abs().sort_values(ascending=False).index[:2]
        words = [_words(f, labels)[1] if row[f] > 0 else _words(f, labels)[2] for f in strong]
        name = ", ".join(words) if words else "average customers"
        names.append(name[0].upper() + name[1:])
    seen: dict[str, int] = {}
    unique = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        unique.append(name if names.count(name) == 1 else f"{name} ({seen[name]})")
    return unique


def bootstrap_stability(
    data: pd.DataFrame,
    k: int,
    *,
    n_boot: int = 20,
    seed: int = 0,
    max_rows: int = 50_000,
    features: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Adjusted Rand index between the reference clustering and clusterings of bootstrap resamples.

    Each resample (drawn with replacement, at most ``max_rows`` rows) is clustered, and its
    centroids label the reference customers; the ARI compares those labels with the reference.

    Parameters
    ----------
    data : DataFrame
        One row per customer.
    k : int
    n_boot : int, default 20
    seed : int, default 0
    max_rows : int, default 50_000
    features : list of str, optional
        Columns to cluster on; default the four of :data:`FEATURE_LABELS`.

    Returns
    -------
    DataFrame
        One row per resample (``resample``, ``ari``).

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> data = pd.DataFrame(np.repeat([[0, 0], [9, 9]], 40, axis=0) + rng.normal(size=(80, 2)), columns=["a", "b"])
    >>> float(bootstrap_stability(data, 2, n_boot=3, features=["a", "b"]).ari.min())
    1.0
    """
    z = _standardize(data, features, "bootstrap_stability")
    rng = np.random.default_rng(seed)
    ref_idx = rng.choice(len(z), size=min(max_rows, len(z)), replace=False)
    reference = KMeans(n_clusters=k, n_init=10, random_state=seed).fit(z[ref_idx]).predict(z[ref_idx])
    aris = []
    for b in range(n_boot):
        idx = rng.choice(len(z), size=min(max_rows, len(z)), replace=True)
        km = KMeans(n_clusters=k, n_init=5, random_state=seed + b + 1).fit(z[idx])
        aris.append(adjusted_rand_score(reference, km.predict(z[ref_idx])))
    return pd.DataFrame({"resample": np.arange(n_boot), "ari": np.asarray(aris, dtype=float)})


def segment_profiles(data: pd.DataFrame, seg: Segmentation, *, features: Sequence[str] | None = None) -> pd.DataFrame:
    """Size, share and mean features per segment, and conversion with a Wilson CI when known.

    The default features are reported in original units (``pages_per_session``,
    ``seconds_per_page``, ``typical_price``: geometric means; ``age``); any other feature by
    its mean under its own name. When ``data`` has ``sessions`` and ``purchases`` columns (as
    :func:`customer_features` makes), session conversion and its Wilson interval are added.

    Parameters
    ----------
    data : DataFrame
        One row per customer, indexed like ``seg.labels``.
    seg : Segmentation
    features : list of str, optional
        Columns to profile (default: the columns the segmentation was fitted on).

    Returns
    -------
    DataFrame
        One row per segment: ``segment``, ``name``, ``customers``, (``sessions``, ``purchases``),
        the feature means, ``share`` (and ``conversion``, ``ci_low``, ``ci_high``).

    Examples
    --------
    >>> data = pd.DataFrame({"spend": [1.0, 1.2, 0.8, 9.0], "visits": [1, 2, 3, 10]})
    >>> seg = fit_segments(data, 2, features=["spend", "visits"])
    >>> segment_profiles(data, seg)
       segment                     name  customers  spend  visits  share
    0        0    Low spend, low visits          3    1.0     2.0   0.75
    1        1  High spend, high visits          1    9.0    10.0   0.25
    """
    cols = list(seg.centroids_z.columns) if features is None else list(features)
    cols = _feature_list(data, cols, "segment_profiles")
    frame = data.assign(segment=seg.labels)
    g = frame.groupby("segment")
    columns: dict[str, pd.Series] = {"customers": g.size()}
    with_conversion = {"sessions", "purchases"} <= set(data.columns)
    if with_conversion:
        columns["sessions"] = g["sessions"].sum()
        columns["purchases"] = g["purchases"].sum()
    for f in cols:
        name, back = _PROFILE_COLUMNS.get(f, (f, None))
        if name in columns or name in ("segment", "name", "share", "conversion", "ci_low", "ci_high"):
            name = f"mean_{f}"
        means = g[f].mean()
        columns[name] = back(means) if back is not None else means
    prof = pd.DataFrame(columns)
    prof["share"] = prof.customers / prof.customers.sum()
    if with_conversion:
        ests = [proportion(p, n) for p, n in zip(prof.purchases, prof.sessions, strict=True)]
        prof["conversion"] = [e.estimate for e in ests]
        prof["ci_low"] = [e.ci_low for e in ests]
        prof["ci_high"] = [e.ci_high for e in ests]
    prof.insert(0, "name", [seg.names[i] for i in prof.index])
    return prof.reset_index()


# ------------------------------------------------------------------------------ estimator
def _is_int(value, minimum: int) -> bool:
    return isinstance(value, Integral) and not isinstance(value, bool) and value >= minimum


class Segmenter(ClusterMixin, TransformerMixin, BaseEstimator):
    """K-means customer segments as a scikit-learn estimator: fit on customers, assign new ones.

    Features chosen by the caller are standardized and clustered inside a
    :class:`~sklearn.pipeline.Pipeline` (``StandardScaler`` then ``KMeans``). With
    ``n_clusters="auto"`` the number of segments is chosen by :func:`choose_k` (elbow, then best
    silhouette from the elbow up); with ``n_boot > 0`` its stability is measured by
    :func:`bootstrap_stability`. Segments are numbered by size (0 = largest), profiled by
    :func:`segment_profiles` and named from their centroids by :func:`segment_names`. On the
    default features the fit is the same as :func:`choose_k` + :func:`fit_segments` +
    :func:`bootstrap_stability` with the same seed.

    Parameters
    ----------
    n_clusters : int or "auto", default "auto"
        Number of segments (an integer >= 2), or "auto" to choose it from ``k_range``.
    features : list of str, optional
        Columns to cluster on. Default: the four of :data:`FEATURE_LABELS` for a DataFrame, all
        columns for an array.
    k_range : sequence of int, default range(2, 9)
        Candidates for "auto" (at least three integers >= 2).
    n_init : int, default 10
        K-means restarts.
    n_boot : int, default 20
        Bootstrap resamples for the stability check (0: skip it).
    max_rows : int, default 50_000
        Largest resample of the stability check.
    silhouette_sample : int, default 5000
        Customers sampled for silhouettes.
    name_threshold : float, default 0.35
        Standard deviations from the mean at which a feature names a segment.
    feature_labels : dict, optional
        ``{feature: (plain name, word when high, word when low)}`` for the names.
    random_state : int, default 0

    Attributes
    ----------
    pipeline_ : Pipeline
        The fitted scaler and k-means (its clusters already numbered by size).
    n_clusters_ : int
    k_choice_ : KChoice or None
        How k was chosen (None when ``n_clusters`` is an integer).
    stability_ : DataFrame or None
        Bootstrap adjusted Rand indices (None when ``n_boot=0``).
    labels_ : ndarray
        Segment of each training customer.
    segments_ : Series
        The same, indexed like the training frame.
    centroids_ : DataFrame
        Standardized centroids (one row per segment, one column per feature).
    names_ : list of str
    profiles_ : DataFrame
        :func:`segment_profiles` of the training customers.
    features_ : list of str
    n_features_in_ : int

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> customers = pd.DataFrame(np.repeat([[1.0, 50.0], [6.0, 20.0], [2.0, 200.0]], [60, 40, 20], axis=0)
    ...                          * rng.normal(1, 0.05, size=(120, 2)), columns=["orders", "basket"])
    >>> model = Segmenter(features=["orders", "basket"], k_range=range(2, 6), n_boot=3).fit(customers)
    >>> model.n_clusters_, model.profiles_.customers.tolist()
    (3, [60, 40, 20])
    >>> model.names_
    ['Low orders', 'High orders, low basket', 'High basket, low orders']
    >>> model.predict(pd.DataFrame({"orders": [5.8, 1.1], "basket": [21.0, 190.0]})).tolist()
    [1, 2]
    >>> model.transform(customers.head(2)).shape
    (2, 3)
    """

    def __init__(
        self,
        n_clusters: int | str = "auto",
        *,
        features: Sequence[str] | None = None,
        k_range: Sequence[int] = range(2, 9),
        n_init: int = 10,
        n_boot: int = 20,
        max_rows: int = 50_000,
        silhouette_sample: int = 5000,
        name_threshold: float = 0.35,
        feature_labels: Mapping[str, tuple[str, str, str]] | None = None,
        random_state: int = 0,
    ):
        self.n_clusters = n_clusters
        self.features = features
        self.k_range = k_range
        self.n_init = n_init
        self.n_boot = n_boot
        self.max_rows = max_rows
        self.silhouette_sample = silhouette_sample
        self.name_threshold = name_threshold
        self.feature_labels = feature_labels
        self.random_state = random_state

    # -- validation
    def _validate_params(self) -> None:
        if not (self.n_clusters == "auto" if isinstance(self.n_clusters, str) else _is_int(self.n_clusters, 2)):
            raise ValueError(f"Segmenter: n_clusters must be 'auto' or an integer >= 2, got {self.n_clusters!r}")
        if self.n_clusters == "auto":
            ks = list(self.k_range) if not isinstance(self.k_range, (str, bytes)) else None
            if ks is None or len(ks) < 3 or not all(_is_int(k, 2) for k in ks) or len(set(ks)) != len(ks):
                raise ValueError(
                    f"Segmenter: k_range must hold at least three distinct integers >= 2, got {self.k_range!r}"
                )
        for name, minimum in (
            ("n_init", 1),
            ("n_boot", 0),
            ("max_rows", 2),
            ("silhouette_sample", 2),
            ("random_state", 0),
        ):
            if not _is_int(getattr(self, name), minimum):
                raise ValueError(f"Segmenter: {name} must be an integer >= {minimum}, got {getattr(self, name)!r}")
        if (
            not isinstance(self.name_threshold, Real)
            or isinstance(self.name_threshold, bool)
            or not self.name_threshold > 0
        ):
            raise ValueError(f"Segmenter: name_threshold must be a number > 0, got {self.name_threshold!r}")
        if self.feature_labels is not None and not (
            isinstance(self.feature_labels, Mapping)
            and all(
                isinstance(v, (tuple, list)) and len(v) == 3 and all(isinstance(w, str) for w in v)
                for v in self.feature_labels.values()
            )
        ):
            raise ValueError(
                "Segmenter: feature_labels must map each feature to (plain name, word when high, "
                f"word when low), got {self.feature_labels!r}"
            )

    @staticmethod
    def _as_frame(X, columns: Sequence[str] | None = None) -> pd.DataFrame:
        if isinstance(X, pd.DataFrame):
            return X
        arr = np.asarray(X, dtype=float)
        if arr.ndim != 2:
            raise ValueError(f"Segmenter: X must be 2-dimensional (customers x features), got shape {arr.shape}")
        if columns is not None and arr.shape[1] != len(columns):
            raise ValueError(f"Segmenter: X has {arr.shape[1]} columns, the model was fitted on {len(columns)}")
        return pd.DataFrame(
            arr, columns=list(columns) if columns is not None else [f"x{i}" for i in range(arr.shape[1])]
        )

    def _design(self, frame: pd.DataFrame) -> pd.DataFrame:
        missing = [f for f in self.features_ if f not in frame.columns]
        if missing:
            raise ValueError(
                f"Segmenter: X lacks the feature column(s) {', '.join(map(repr, missing))} it was fitted on (features=)"
            )
        design = frame[self.features_].astype(float)
        if not np.isfinite(design.to_numpy()).all():
            raise ValueError("Segmenter: features contain NaN or infinite values; impute or drop those customers")
        return design

    # -- fitting
    def fit(self, X, y=None) -> Segmenter:
        """Choose k (if "auto"), fit the scaler and k-means, measure stability, profile and name.

        Parameters
        ----------
        X : DataFrame or array of shape (n_customers, n_columns)
        y : ignored

        Returns
        -------
        self
        """
        self._validate_params()
        is_frame = isinstance(X, pd.DataFrame)
        frame = self._as_frame(X)
        features = self.features if (self.features is not None or is_frame) else list(frame.columns)
        self.features_ = _feature_list(frame, features, "Segmenter")
        self.n_features_in_ = len(self.features_)
        design = self._design(frame)
        largest = max(self.k_range) if self.n_clusters == "auto" else self.n_clusters
        if len(design) <= largest:
            raise ValueError(
                f"Segmenter: {len(design)} customers are too few for up to {largest} segments "
                "(set n_clusters= or k_range=)"
            )
        if self.n_clusters == "auto":
            self.k_choice_ = choose_k(
                design,
                self.k_range,
                seed=self.random_state,
                silhouette_sample=self.silhouette_sample,
                features=self.features_,
            )
            k = self.k_choice_.k
        else:
            self.k_choice_ = None
            k = int(self.n_clusters)
        pipe = Pipeline(
            [
                ("scale", StandardScaler()),
                ("kmeans", KMeans(n_clusters=k, n_init=self.n_init, random_state=self.random_state)),
            ]
        )
        pipe.fit(design)
        km = pipe.named_steps["kmeans"]
        order = np.argsort(-np.bincount(km.labels_, minlength=k), kind="stable")
        remap = np.empty(k, dtype=int)
        remap[order] = np.arange(k)
        km.cluster_centers_ = km.cluster_centers_[order]  # renumber by size: predict() follows
        km.labels_ = remap[km.labels_]
        self.pipeline_ = pipe
        self.n_clusters_ = k
        self.labels_ = km.labels_.copy()
        self.segments_ = pd.Series(self.labels_, index=frame.index, name="segment")
        self.centroids_ = pd.DataFrame(km.cluster_centers_, columns=self.features_)
        self.names_ = segment_names(self.centroids_, self.name_threshold, labels=self.feature_labels)
        self.stability_ = (
            bootstrap_stability(
                design, k, n_boot=self.n_boot, seed=self.random_state, max_rows=self.max_rows, features=self.features_
            )
            if self.n_boot > 0
            else None
        )
        self.profiles_ = segment_profiles(
            frame, Segmentation(self.segments_, self.centroids_, self.names_, k), features=self.features_
        )
        return self

    def predict(self, X) -> np.ndarray:
        """Segment of each customer of ``X`` (new customers included): the nearest centroid.

        Parameters
        ----------
        X : DataFrame with the fitted feature columns, or array with them in order

        Returns
        -------
        ndarray of int
        """
        check_is_fitted(self, "pipeline_")
        return self.pipeline_.predict(
            self._design(self._as_frame(X, None if isinstance(X, pd.DataFrame) else self.features_))
        )

    def transform(self, X) -> np.ndarray:
        """Distance of each customer to each segment's centroid, in standardized units.

        Returns
        -------
        ndarray of shape (n_customers, n_clusters_)
        """
        check_is_fitted(self, "pipeline_")
        return self.pipeline_.transform(
            self._design(self._as_frame(X, None if isinstance(X, pd.DataFrame) else self.features_))
        )

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        """Names of the :meth:`transform` columns: ``distance_0``, ``distance_1``, ..."""
        check_is_fitted(self, "pipeline_")
        return np.array([f"distance_{i}" for i in range(self.n_clusters_)], dtype=object)


# --------------------------------------------------------------------- discounts and notes
def discount_sensitivity(
    sessions: pd.DataFrame,
    groups: pd.Series,
    *,
    threshold: float = 0.0,
    discount: str = "discount_applied",
    outcome: str = TARGET,
) -> pd.DataFrame:
    """Per group: conversion with and without a discount (> ``threshold``), and the difference
    with a Newcombe interval. Descriptive: discounts are not randomized.

    ``discount`` and ``outcome`` name the discount and 0/1 outcome columns.
    """
    missing = [
        f"{c!r} (set it with {p}=)"
        for p, c in (("discount", discount), ("outcome", outcome))
        if c not in sessions.columns
    ]
    if missing:
        raise ValueError(f"discount_sensitivity: missing column {', '.join(missing)}")
    disc = sessions[discount] > threshold
    rows = []
    for level in sorted(pd.unique(groups)):
        mask = (groups == level).to_numpy()
        y = sessions[outcome].to_numpy()[mask]
        d = disc.to_numpy()[mask]
        n1, n0 = int(d.sum()), int((~d).sum())
        s1, s0 = int(y[d].sum()), int(y[~d].sum())
        if n1 == 0 or n0 == 0:
            rows.append(
                {
                    "group": level,
                    "n_discount": n1,
                    "n_no_discount": n0,
                    "rate_discount": np.nan,
                    "rate_no_discount": np.nan,
                    "difference": np.nan,
                    "ci_low": np.nan,
                    "ci_high": np.nan,
                }
            )
            continue
        diff = rate_difference(s1, n1, s0, n0)
        rows.append(
            {
                "group": level,
                "n_discount": n1,
                "n_no_discount": n0,
                "rate_discount": s1 / n1,
                "rate_no_discount": s0 / n0,
                "difference": diff.estimate,
                "ci_low": diff.ci_low,
                "ci_high": diff.ci_high,
            }
        )
    return pd.DataFrame(rows)


def strategic_notes(
    profiles: pd.DataFrame, overall_conversion: float, sensitivity: pd.DataFrame | None = None
) -> list[str]:
    """One plain-language note per segment, generated from its profile by fixed rules.

    Needs ``name``, ``share``, ``conversion``, ``ci_low`` and ``ci_high``; the high-ticket rule
    uses ``typical_price`` when the profile has it.
    """
    notes = []
    sens = sensitivity.set_index("group") if sensitivity is not None else None
    median_price = profiles.typical_price.median() if "typical_price" in profiles.columns else None
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
        if median_price is not None and row.typical_price > 1.5 * median_price:
            extra.append("high-ticket items: financing, warranties and reviews matter")
        if sens is not None and row.segment in sens.index:
            s = sens.loc[row.segment]
            if pd.notna(s.ci_low) and s.ci_low > 0:
                extra.append("discounted sessions convert better here (observational): a candidate for a coupon test")
        text = f"**{row['name']}** ({row.share:.0%} of customers, conversion {row.conversion:.1%}): {stance}"
        notes.append(text + ("; " + "; ".join(extra) if extra else "") + ".")
    return notes


def age_group(age: pd.Series) -> pd.Series:
    """Age bands 13-17, 18-24, 25-34, 35-44, 45-54, 55-64, 65+ (as in ``04_demographics.sql``).

    Examples
    --------
    >>> age_group(pd.Series([17, 18, 64, 65])).tolist()
    ['13-17', '18-24', '55-64', '65+']
    """
    bins = [-np.inf, 18, 25, 35, 45, 55, 65, np.inf]
    labels = ["13-17", "18-24", "25-34", "35-44", "45-54", "55-64", "65+"]
    return pd.cut(age, bins, right=False, labels=labels).astype(str)
