"""ecommerce_analytics: the package behind the five analysis notebooks.

Module map (dependencies point downwards only):

- ``cli``, ``pipeline``      entry points (command line; notebook execution and HTML rendering)
- ``reporting``, ``viz``     what notebooks report with: results JSON and sentences; Plotly theme and PNGs
- ``metrics``, ``segmentation``, ``transactions``, ``modeling``, ``experiments``, ``sequential``,
  ``calibration``, ``causal``
                             product metrics with CIs and corrected screens; segments; RFM, cohorts and
                             repeat purchases from any transaction log; purchase prediction; A/B test
                             statistics; group-sequential designs; the calibration study; observational
                             effect estimators (ATE/ATT, trimming, balance)
- ``sources``                the data of a run: the simulator (default) or a contract file
- ``data``, ``simulate``, ``database``
                             loading and validation, the simulator with its truth, SQLite + SQL library
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
