"""ecommerce_analytics: the package behind the five analysis notebooks.

Module map (dependencies point downwards only; a subpackage groups one concern's parts):

- ``cli``, ``pipeline/``     entry points: the command line; executing notebooks (``execute``),
                             rendering HTML (``render``), comparing runs (``compare``), staging
- ``recommendations``        documents generated from the default run (README findings, resume bullets)
- ``explore``, ``segmentation/``, ``modeling/``, ``readout``, ``observational``, ``business``
                             the analysis of notebooks 01-05: steps that return result objects with
                             their sentences, decision rules, impact arithmetic, and each notebook's
                             typed results (``ExploreResults``, ``SegmentationResults``,
                             ``PredictionResults``, ``TestingResults``, ``RecommendationsResults``)
- ``viz/``                   the Plotly theme, ``show`` (interactive + PNG, figure ids) and generic charts;
                             one module of figure functions per notebook
- ``scale``                  notebook 01's and 02's aggregates (product metrics, funnel, RFM, cohort
                             retention) computed in an engine on a large source (``sql/metrics/``)
- ``metrics``, ``transactions``, ``experiments/``, ``sequential``, ``calibration``, ``causal``, ``treatments``
                             product metrics; RFM, cohorts and repeat purchases from any transaction log;
                             A/B test statistics (design, tests, ratio metrics, CUPED, bootstrap,
                             monitoring, Bayesian, multiple testing); group-sequential designs; the
                             calibration study; observational effect estimators; treatment definitions
- ``stats/``                 primitives every statistics module shares: the result base
                             (``EstimateResult``: estimate, CI, p-value, n, method, ``summary()``),
                             critical values and intervals, score tests, parameter validation
- ``reporting``, ``run``     results envelopes and ``NotebookResults``, sentence formatting; one ``Run``
                             (source, name, label and every path of a run)
- ``sources``, ``data/``, ``simulate``, ``database``, ``engines/``
                             the data of a run; reading and validating files under the contract
                             (encoding, header, column mapping, cell rules, report, Parquet datasets in
                             batches, Kaggle download); the simulator with its truth (in memory, or to
                             Parquet in chunks); SQLite and the SQL library; the SQL engines (SQLite,
                             DuckDB, Spark SQL) behind one interface, SQLGlot transpiling
- ``schema``, ``paths``, ``config``, ``precision``
                             the data contract, the project's locations, run defaults, and the stated
                             precision of committed numbers
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("ecommerce-analytics")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
