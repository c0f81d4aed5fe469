"""K-means segments: choosing k, fitting, bootstrap stability, the Segmenter estimator and their readouts.

K is chosen from 2 to 8 by the elbow of the inertia curve and the silhouette (:func:`choose_k`
states the rule), and stability is measured by the adjusted Rand index across bootstrap
resamples (:func:`bootstrap_stability`). :class:`Segmenter` wraps the whole recipe as a
scikit-learn estimator that assigns new customers to segments; :func:`k_readout` and
:func:`stability_readout` report on a fitted one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from numbers import Integral, Real

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClusterMixin, TransformerMixin, clone
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score, silhouette_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import check_is_fitted

from ..reporting import num
from .features import _feature_list, _standardize
from .profiles import segment_names, segment_profiles

__all__ = [
    "KChoice",
    "choose_k",
    "Segmentation",
    "fit_segments",
    "bootstrap_stability",
    "Segmenter",
    "KReadout",
    "k_readout",
    "StabilityReadout",
    "stability_readout",
]


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

    Parameters
    ----------
    data : DataFrame
        One row per customer.
    k : int
        Number of segments (>= 2).
    seed : int, default 0
    features : list of str, optional
        Columns to cluster on; default the four of :data:`FEATURE_LABELS`.

    Returns
    -------
    Segmentation

    Examples
    --------
    >>> data = pd.DataFrame({"spend": [1.0, 1.1, 0.9, 1.0, 9.0, 9.2], "visits": [1.0, 2, 1, 2, 8, 9]})
    >>> fit_segments(data, 2, features=["spend", "visits"]).labels.tolist()
    [0, 0, 0, 0, 1, 1]
    """
    model = Segmenter(n_clusters=k, features=features, random_state=seed, n_boot=0).fit(data)
    return Segmentation(model.segments_, model.centroids_, model.names_, model.n_clusters_)


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


# ------------------------------------------------------------------------------- readouts
def _fitted_segmenter(segmenter: Segmenter, where: str) -> None:
    """Raise unless ``segmenter`` is a fitted :class:`Segmenter`."""
    if not isinstance(segmenter, Segmenter):
        raise ValueError(f"{where}: segmenter must be a fitted Segmenter, got {type(segmenter).__name__}")
    check_is_fitted(segmenter, "pipeline_")


@dataclass(frozen=True)
class KReadout:
    """How k was chosen, with the agreement of each k with the true personas when they are known.

    Attributes
    ----------
    choice : KChoice
        The rule's outcome (:func:`choose_k`).
    table : DataFrame
        ``choice.table``, plus ``ari_vs_personas`` (adjusted Rand index of the k-segment fit
        against the true personas) when personas were given.
    n_personas : int or None
        Number of true personas (None without them).
    """

    choice: KChoice
    table: pd.DataFrame
    n_personas: int | None = None

    def persona_agreement(self) -> dict | None:
        """ARI at the chosen k, the best ARI and its k, and the number of personas (None without personas)."""
        if "ari_vs_personas" not in self.table.columns:
            return None
        t = self.table
        return {
            "chosen_k": float(t.loc[t.k == self.choice.k, "ari_vs_personas"].iloc[0]),
            "best": float(t.ari_vs_personas.max()),
            "best_k": int(t.loc[t.ari_vs_personas.idxmax(), "k"]),
            "true_personas": self.n_personas,
        }

    def to_dict(self) -> dict:
        """The chosen, elbow and silhouette k, the rule and the table, as reported."""
        c = self.choice
        return {"chosen": c.k, "elbow": c.k_elbow, "silhouette": c.k_silhouette, "rule": c.rule, "table": self.table}

    def sentence(self) -> str:
        """The chosen k and the rule that chose it, and its agreement with the true personas when known.

        Examples
        --------
        >>> table = pd.DataFrame({"k": [2, 3, 4], "ari_vs_personas": [0.2, 0.6, 0.5]})
        >>> choice = KChoice(table[["k"]], 3, 3, 3, "the elbow and the best silhouette agree")
        >>> KReadout(choice, table, 3).sentence()  # doctest: +NORMALIZE_WHITESPACE
        "Chosen **k = 3**: the elbow and the best silhouette agree. Against the simulator's 3 true personas,
        the adjusted Rand index at the chosen k is **0.60** (best 0.60, at k = 3; 0 is chance, 1 is perfect)."
        """
        text = f"Chosen **k = {self.choice.k}**: {self.choice.rule}."
        agreement = self.persona_agreement()
        if agreement is not None:
            text += (
                f" Against the simulator's {self.n_personas} true personas, the adjusted Rand index at the chosen k "
                f"is **{agreement['chosen_k']:.2f}** (best {agreement['best']:.2f}, at k = {agreement['best_k']}; "
                "0 is chance, 1 is perfect)."
            )
        return text


def _personas_of(personas: pd.Series, features: pd.DataFrame, where: str) -> pd.Series:
    """The persona of each customer of ``features``; every customer must have one."""
    if not isinstance(personas, pd.Series):
        raise ValueError(f"{where}: personas must be a Series of personas indexed by customer, or None")
    aligned = personas.reindex(features.index)
    if aligned.isna().any():
        raise ValueError(
            f"{where}: personas has no persona for {int(aligned.isna().sum())} customer(s) of features; "
            "personas must be indexed by the same customers"
        )
    return aligned


def k_readout(segmenter: Segmenter, features: pd.DataFrame, personas: pd.Series | None = None) -> KReadout:
    """The k-choice of a fitted ``Segmenter(n_clusters="auto")``, scored against the true personas if given.

    With ``personas``, every candidate k is refitted (the segmenter's settings, ``n_clusters=k``)
    and its segments compared with the personas by the adjusted Rand index.

    Parameters
    ----------
    segmenter : Segmenter
        Fitted with ``n_clusters="auto"`` on ``features``.
    features : DataFrame
        The customers it was fitted on.
    personas : Series, optional
        True persona per customer, indexed like ``features`` (the simulator's truth).

    Returns
    -------
    KReadout

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> data = pd.DataFrame(np.repeat([[0, 0], [8, 0], [0, 8]], 30, axis=0) + rng.normal(size=(90, 2)),
    ...                     columns=["a", "b"])
    >>> model = Segmenter(features=["a", "b"], k_range=range(2, 6), n_boot=0).fit(data)
    >>> readout = k_readout(model, data, pd.Series(np.repeat(["x", "y", "z"], 30), index=data.index))
    >>> readout.choice.k, readout.persona_agreement()["chosen_k"]
    (3, 1.0)
    """
    _fitted_segmenter(segmenter, "k_readout")
    if segmenter.k_choice_ is None:
        raise ValueError(
            "k_readout: the segmenter was fitted with an integer n_clusters; fit it with n_clusters='auto'"
        )
    choice = segmenter.k_choice_
    table = choice.table.copy()
    if personas is None:
        return KReadout(choice, table)
    truth = _personas_of(personas, features, "k_readout")
    table["ari_vs_personas"] = [
        adjusted_rand_score(truth, clone(segmenter).set_params(n_clusters=int(k), n_boot=0).fit(features).segments_)
        for k in table.k
    ]
    return KReadout(choice, table, int(truth.nunique()))


def _percentile_key(q: float) -> str:
    """``2.5 -> 'p2_5'``, ``97.5 -> 'p97_5'``."""
    return f"p{q:g}".replace(".", "_")


@dataclass(frozen=True)
class StabilityReadout:
    """How stable the segments are: bootstrap ARIs, and how held-out customers are assigned.

    Attributes
    ----------
    stability : DataFrame
        :func:`bootstrap_stability` output (``resample``, ``ari``).
    held_out : int
        Customers left out of the refit and assigned as new customers.
    new_customer_ari : float
        Adjusted Rand index between their segments in the full fit and their predicted segments.
    alpha : float
        The percentile interval of the ARIs covers ``1 - alpha`` of the resamples.
    """

    stability: pd.DataFrame
    held_out: int
    new_customer_ari: float
    alpha: float = 0.05

    @property
    def percentiles(self) -> tuple[float, float]:
        """Lower and upper percentiles (in percent) of the interval: 2.5 and 97.5 for ``alpha=0.05``."""
        return 100 * self.alpha / 2, 100 * (1 - self.alpha / 2)

    @property
    def interval(self) -> tuple[float, float]:
        """The ARIs at :attr:`percentiles`."""
        lo, hi = np.percentile(self.stability.ari, list(self.percentiles))
        return float(lo), float(hi)

    def to_dict(self) -> dict:
        """Mean ARI, its percentile interval (keys ``p2_5``, ``p97_5`` for ``alpha=0.05``) and resamples."""
        (q_lo, q_hi), (lo, hi) = self.percentiles, self.interval
        return {
            "mean": float(self.stability.ari.mean()),
            _percentile_key(q_lo): lo,
            _percentile_key(q_hi): hi,
            "resamples": int(len(self.stability)),
        }

    def sentence(self) -> str:
        """Mean bootstrap ARI with its percentile interval, and the ARI of held-out customers.

        Examples
        --------
        >>> readout = StabilityReadout(pd.DataFrame({"resample": [0, 1], "ari": [0.9, 1.0]}), 50, 0.98)
        >>> print(readout.sentence())  # doctest: +NORMALIZE_WHITESPACE
        Stability over 2 bootstrap resamples: mean adjusted Rand index 0.95 (2.5th to 97.5th percentile 0.90 to
        1.00); values near 1 mean the same segments come back. Fitted without 50 randomly held-out customers, the
        segmenter assigns them as new customers to the same segments as the full fit (adjusted Rand index 0.98).
        """
        (q_lo, q_hi), (lo, hi) = self.percentiles, self.interval
        return (
            f"Stability over {len(self.stability)} bootstrap resamples: mean adjusted Rand index "
            f"{self.stability.ari.mean():.2f} ({q_lo:g}th to {q_hi:g}th percentile {lo:.2f} to {hi:.2f}); values "
            f"near 1 mean the same segments come back. Fitted without {num(self.held_out)} randomly held-out "
            "customers, the segmenter assigns them as new customers to the same segments as the full fit "
            f"(adjusted Rand index {self.new_customer_ari:.2f})."
        )


def stability_readout(
    segmenter: Segmenter, features: pd.DataFrame, *, holdout: float = 0.2, alpha: float = 0.05, seed: int = 0
) -> StabilityReadout:
    """Bootstrap stability of a fitted segmenter, and how it assigns customers it has not seen.

    A random ``holdout`` share of the customers is left out, the segmenter (same settings, its
    chosen k, no bootstrap) is refitted on the rest and assigns the held-out customers with
    ``predict``; their adjusted Rand index against the full fit says whether new customers land
    in the same segments.

    Parameters
    ----------
    segmenter : Segmenter
        Fitted on ``features`` with ``n_boot > 0``.
    features : DataFrame
        The customers it was fitted on.
    holdout : float, default 0.2
        Share of customers held out, in (0, 1).
    alpha : float, default 0.05
        The reported percentile interval of the bootstrap ARIs covers ``1 - alpha``.
    seed : int, default 0
        Seed of the held-out sample.

    Returns
    -------
    StabilityReadout

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> data = pd.DataFrame(np.repeat([[0, 0], [9, 9]], 40, axis=0) + rng.normal(size=(80, 2)), columns=["a", "b"])
    >>> model = Segmenter(n_clusters=2, features=["a", "b"], n_boot=3).fit(data)
    >>> readout = stability_readout(model, data)
    >>> readout.held_out, readout.new_customer_ari, readout.to_dict()["p97_5"]
    (16, 1.0, 1.0)
    """
    _fitted_segmenter(segmenter, "stability_readout")
    if segmenter.stability_ is None:
        raise ValueError("stability_readout: the segmenter was fitted with n_boot=0; fit it with n_boot > 0")
    if not (isinstance(holdout, Real) and 0 < holdout < 1):
        raise ValueError(f"stability_readout: holdout must be a share in (0, 1), got {holdout!r}")
    if not (isinstance(alpha, Real) and 0 < alpha < 1):
        raise ValueError(f"stability_readout: alpha must be in (0, 1), got {alpha!r}")
    held_out = features.sample(frac=holdout, random_state=seed).index
    partial = clone(segmenter).set_params(n_clusters=segmenter.n_clusters_, n_boot=0).fit(features.drop(held_out))
    ari = adjusted_rand_score(segmenter.segments_[held_out], partial.predict(features.loc[held_out]))
    return StabilityReadout(segmenter.stability_, len(held_out), float(ari), alpha)
