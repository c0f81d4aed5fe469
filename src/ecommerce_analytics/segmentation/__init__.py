"""Customer segmentation (k-means), profiles, discount sensitivity, demographics, and RFM and cohorts.

Customers are described by features chosen by the caller (by default four behavioural
features averaged over their sessions: :func:`customer_features`). K is chosen from 2 to 8 by
the elbow of the inertia curve and the silhouette (:func:`choose_k` states the rule), and
stability is measured by the adjusted Rand index across bootstrap resamples.
:class:`Segmenter` wraps the whole recipe as a scikit-learn estimator that assigns new
customers to segments. RFM, cohorts, repeat-purchase curves and inter-purchase times live in
:mod:`ecommerce_analytics.transactions` and are re-exported here.

Modules, by concern:

- :mod:`.features`      customer features and the customer base of a report
- :mod:`.clustering`    choosing k, fitting, stability, the :class:`Segmenter` estimator, their readouts
- :mod:`.profiles`      segment names, profiles, strategic notes, persona comparison
- :mod:`.discounts`     discount sensitivity by segment
- :mod:`.demographics`  age bands and the demographic screen
- :mod:`.cohorts`       RFM groups and cohort readouts (on :mod:`ecommerce_analytics.transactions`)
- :mod:`.results`       :class:`SegmentationResults`, the typed results of notebook 02
- :mod:`.study`         :func:`study`: every readout of notebook 02 at once, and its summary
"""

from __future__ import annotations

from ..transactions import (
    InterPurchaseTimes,
    cohort_retention,
    conversion_by_cohort_age,
    inter_purchase_times,
    repeat_purchase_curve,
    rfm_scores,
    tie_aware_score,
    users_return,
)
from .clustering import (
    KChoice,
    KReadout,
    Segmentation,
    Segmenter,
    StabilityReadout,
    bootstrap_stability,
    choose_k,
    fit_segments,
    k_readout,
    stability_readout,
)
from .cohorts import RetentionReadout, RfmReadout, WeeklyReadout, cohort_readout, rfm_groups, rfm_readout
from .demographics import DEMOGRAPHIC_VARIABLES, DemographicScreen, age_group, demographic_screen
from .discounts import DiscountReadout, bias_verdict, discount_readout, discount_sensitivity
from .features import FEATURE_LABELS, CustomerBase, customer_base, customer_features
from .profiles import (
    PersonaReadout,
    ProfileReadout,
    centroid_table,
    persona_readout,
    profile_readout,
    segment_names,
    segment_profiles,
    strategic_notes,
)
from .results import SegmentationResults
from .study import SegmentationStudy, at_scale, study

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
    # readouts of notebook 02
    "CustomerBase",
    "customer_base",
    "KReadout",
    "k_readout",
    "StabilityReadout",
    "stability_readout",
    "centroid_table",
    "ProfileReadout",
    "profile_readout",
    "PersonaReadout",
    "persona_readout",
    "rfm_groups",
    "RfmReadout",
    "rfm_readout",
    "DEMOGRAPHIC_VARIABLES",
    "DemographicScreen",
    "demographic_screen",
    "bias_verdict",
    "DiscountReadout",
    "discount_readout",
    "RetentionReadout",
    "WeeklyReadout",
    "cohort_readout",
    "SegmentationResults",
    "SegmentationStudy",
    "study",
    "at_scale",
]
