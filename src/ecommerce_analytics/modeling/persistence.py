"""Saved models: model cards, a restricted unpickler, and scoring new sessions with a saved model.

A model is a joblib pickle with a JSON card beside it (``<name>.card.json``) that records the
stage, the features, the metrics, the library versions and the file's sha256; :func:`load_model`
reads only files whose hash matches their card, with an unpickler that refuses every global but
the estimator classes, numpy types and ufuncs a saved pipeline is made of.
"""

from __future__ import annotations

import hashlib
import json
import pickle
import platform
import sys
from collections.abc import Sequence
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import sklearn
import xgboost
from joblib.numpy_pickle import NumpyUnpickler
from sklearn.base import BaseEstimator
from sklearn.pipeline import Pipeline

from .. import __version__, precision
from ..data import file_sha256
from ..run import Run
from ..schema import TARGET
from .errors import ModelFileError, ModelMismatchError
from .features import BROWSE, CART, Stage, session_features
from .models import SkewLog1p, TunedXGBoost, tuning_card
from .stages import StageReport
from .validation import ModelComparison

__all__ = [
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
]

#: Stages a model card may name.
_STAGE_NAMES = (BROWSE.name, CART.name)


def model_path(stage: str, folder: Path) -> Path:
    """The file of a stage's model in a folder: ``<folder>/<stage>_stage.joblib``.

    The folder is a run's ``Run.models_out`` while it writes, ``Run.models_dir`` once published.

    Parameters
    ----------
    stage : str
        ``browse`` or ``cart``.
    folder : Path
        The models folder.

    Returns
    -------
    Path
        The model file's path.

    Examples
    --------
    >>> model_path("cart", Path("models")).as_posix()
    'models/cart_stage.joblib'
    """
    if stage not in _STAGE_NAMES:
        raise ValueError(f"stage must be one of {', '.join(_STAGE_NAMES)}, got {stage!r}")
    return Path(folder) / f"{stage}_stage.joblib"


#: Model files are joblib pickles read by a restricted unpickler: only the classes and functions
#: a saved pipeline is made of can be named by the file (see ``project/history/decisions.md``).
MODEL_FORMAT = "joblib pickle, read with an allow-list of globals; sha256 recorded in the card"
_ALLOWED_GLOBALS = frozenset(
    {
        ("builtins", "bytearray"),
        ("builtins", "bytes"),
        ("builtins", "slice"),
        ("builtins", "set"),
        ("builtins", "frozenset"),
        ("builtins", "complex"),
        ("builtins", "range"),
        ("collections", "OrderedDict"),
        ("copyreg", "_reconstructor"),
        ("builtins", "object"),
        ("joblib.numpy_pickle", "NumpyArrayWrapper"),
        ("numpy", "dtype"),
        ("numpy", "ndarray"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "scalar"),
        ("numpy.core.multiarray", "scalar"),
        ("numpy._core.numeric", "_frombuffer"),
        ("numpy.core.numeric", "_frombuffer"),
        ("numpy.random._pickle", "__randomstate_ctor"),
        ("numpy.random._pickle", "__bit_generator_ctor"),
        ("numpy.random._pickle", "__generator_ctor"),
    }
)


#: The package's own estimator classes a saved pipeline may hold.
_PROJECT_CLASSES = frozenset(
    {("ecommerce_analytics.modeling.models", "SkewLog1p"), ("ecommerce_analytics.modeling.models", "TunedXGBoost")}
)


def _allowed_global(module: str, name: str, obj: object) -> bool:
    """Whether a pickled model may name ``module.name`` (resolved to ``obj``)."""
    if (module, name) in _ALLOWED_GLOBALS:
        return True
    if (module, name) in _PROJECT_CLASSES:
        return obj in (SkewLog1p, TunedXGBoost)
    root = module.split(".", 1)[0]
    if root == "numpy":
        # dtypes and scalar types, ufuncs (np.log1p in a FunctionTransformer), bit generators.
        return (
            isinstance(obj, type) and (issubclass(obj, (np.generic, np.dtype)) or module.startswith("numpy.random"))
        ) or isinstance(obj, np.ufunc)
    if root == "sklearn":
        # Estimators and the tree structure of a fitted forest; no functions, no other classes.
        from sklearn.tree._tree import Tree

        return isinstance(obj, type) and (issubclass(obj, BaseEstimator) or obj is Tree)
    if root == "xgboost":
        return isinstance(obj, type) and (issubclass(obj, (xgboost.XGBModel, xgboost.Booster)))
    return False


class _RestrictedUnpickler(NumpyUnpickler):
    """joblib's unpickler, refusing any global outside :func:`_allowed_global` before it is used.

    A crafted file cannot call ``os.system``, ``eval``, ``subprocess`` or any other function.
    """

    def find_class(self, module: str, name: str):
        """Resolve ``module.name`` only when a saved model may name it; refuse it otherwise."""
        if not isinstance(module, str) or not isinstance(name, str) or "." in name:
            raise pickle.UnpicklingError(f"refused global {module}.{name}")
        # Nothing is imported on the file's say: importing a module runs its code (e.g. a package's
        # ``__main__``). Names resolve only in modules this process has already loaded; the
        # package imports every module a saved pipeline is made of.
        if module not in sys.modules:
            raise pickle.UnpicklingError(f"refused global {module}.{name} (module not part of a saved model)")
        if (
            (module, name) in _ALLOWED_GLOBALS
            or (module, name) in _PROJECT_CLASSES
            or module.split(".", 1)[0] in ("numpy", "sklearn", "xgboost")
        ):
            obj = super().find_class(module, name)
            if _allowed_global(module, name, obj):
                return obj
        raise pickle.UnpicklingError(f"refused global {module}.{name} (not part of a saved model)")


def _card_path(path: Path) -> Path:
    """The card beside a model file."""
    return path.with_suffix(".card.json")


def save_model(pipeline: Pipeline, path: str | Path, card: dict) -> tuple[Path, Path]:
    """Save a fitted pipeline (joblib) and its model card (JSON beside it, ``<name>.card.json``).

    The card records at least ``target``, ``numeric`` and ``categorical``, and ``stage``
    (``browse`` or ``cart``) for a model of the session stages (a generic model has none);
    this function adds ``features`` (numeric then categorical), the library versions, the file
    format, ``model_sha256``, the sha256 of the model file (:func:`load_model` refuses a file that
    does not match it), and for a tuned model ``tuning``: its search space and chosen settings
    (:func:`~.models.tuning_card`).

    Parameters
    ----------
    pipeline : Pipeline
        A fitted pipeline.
    path : str or Path
        The model file to write (its folder is created).
    card : dict
        What the card records about the model.

    Returns
    -------
    tuple of Path
        The model file and its card.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    for key in ("target", "numeric", "categorical"):
        if key not in card:
            raise ValueError(f"model card lacks {key!r}")
    if card.get("stage") is not None and card["stage"] not in _STAGE_NAMES:
        raise ValueError(
            f"model card's stage must be one of {', '.join(_STAGE_NAMES)} or absent, got {card['stage']!r}"
        )
    tmp = path.with_suffix(".joblib.tmp")
    joblib.dump(pipeline, tmp)
    tuning = tuning_card(pipeline)
    card = {
        **card,
        **({"tuning": tuning} if tuning is not None and "tuning" not in card else {}),
        "features": list(card["numeric"]) + list(card["categorical"]),
        "versions": {
            "ecommerce-analytics": __version__,
            "python": platform.python_version(),
            "scikit-learn": sklearn.__version__,
            "xgboost": xgboost.__version__,
        },
        "model_file": path.name,
        "model_format": MODEL_FORMAT,
        "model_sha256": _sha256(tmp),
    }
    tmp.replace(path)
    card_path = _card_path(path)
    card_tmp = card_path.with_suffix(".json.tmp")
    # Floats at the committed precision (8 significant digits): the card is the same on every machine.
    card_tmp.write_text(precision.dumps(card), encoding="utf-8")
    card_tmp.replace(card_path)
    return path, card_path


def _sha256(path: Path) -> str:
    """Hex sha256 of a file."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_model_card(path: str | Path) -> dict:
    """The card of a model file, checked.

    The card must be valid JSON, an object with ``target``, ``features`` and ``model_sha256``,
    and a ``stage`` of ``browse`` or ``cart`` if it names one (a generic model has none);
    :class:`ModelFileError` (one line) otherwise.

    Parameters
    ----------
    path : str or Path
        The model file (its card is ``<name>.card.json`` beside it).

    Returns
    -------
    dict
        The card.
    """
    path = Path(path)
    card_path = _card_path(path)
    if not card_path.is_file():
        raise FileNotFoundError(f"{card_path}: model card not found beside the model")
    try:
        card = json.loads(card_path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise ModelFileError(f"{card_path}: model card is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise ModelFileError(f"{card_path}: model card is not valid JSON ({exc.msg}, line {exc.lineno})") from None
    if not isinstance(card, dict):
        raise ModelFileError(f"{card_path}: model card is not a JSON object")
    missing = [k for k in ("target", "features", "model_sha256") if k not in card]
    if missing:
        hint = " (saved by an older version: run the modeling notebook again)" if missing == ["model_sha256"] else ""
        raise ModelFileError(f"{card_path}: model card lacks {', '.join(map(repr, missing))}{hint}")
    if card.get("stage") is not None and card["stage"] not in _STAGE_NAMES:
        raise ModelFileError(f"{card_path}: unknown stage {card['stage']!r} (expected browse or cart)")
    if not isinstance(card["features"], list) or not all(isinstance(f, str) for f in card["features"]):
        raise ModelFileError(f"{card_path}: 'features' must be a list of column names")
    sha = card["model_sha256"]
    if not isinstance(sha, str) or len(sha) != 64 or any(c not in "0123456789abcdef" for c in sha):
        raise ModelFileError(f"{card_path}: 'model_sha256' is not a sha256 hex digest")
    return card


def load_model(path: str | Path) -> tuple[Pipeline, dict]:
    """Load a pipeline saved by :func:`save_model` and its card.

    Only files the project wrote are loaded: the file's sha256 must equal the card's
    ``model_sha256``, and the file is read by a restricted unpickler that refuses every global
    but the estimator classes, numpy types and ufuncs a saved pipeline is made of, so a crafted
    file cannot run code. Every refusal is a :class:`ModelFileError` with a one-line message;
    a missing file or card is a ``FileNotFoundError``.

    Parameters
    ----------
    path : str or Path
        The model file.

    Returns
    -------
    tuple
        The fitted pipeline and its card.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: model file not found (run `make report` to train the models)")
    card = read_model_card(path)
    digest = _sha256(path)
    if digest != card["model_sha256"]:
        raise ModelFileError(
            f"{path}: sha256 {digest[:12]}... does not match its card ({card['model_sha256'][:12]}...); "
            "refusing to load a model file the project did not write"
        )
    try:
        with open(path, "rb") as fh:
            pipeline = _RestrictedUnpickler(str(path), fh, True).load()
    except (
        pickle.UnpicklingError,
        EOFError,
        ValueError,
        TypeError,
        AttributeError,
        ImportError,
        IndexError,
        KeyError,
        MemoryError,
        OverflowError,
        UnicodeDecodeError,
    ) as exc:
        detail = " ".join(str(exc).split()) or type(exc).__name__
        raise ModelFileError(f"{path}: not a model file the project can load ({detail[:200]})") from None
    if not (hasattr(pipeline, "predict_proba") and hasattr(pipeline, "fit")):
        raise ModelFileError(f"{path}: holds a {type(pipeline).__name__}, not a fitted model")
    return pipeline, card


def check_features(card: dict, frame: pd.DataFrame) -> None:
    """Raise :class:`ModelMismatchError` when ``frame`` lacks a feature the model needs.

    Parameters
    ----------
    card : dict
        A model card (its ``features``).
    frame : DataFrame
        The rows to score.

    Examples
    --------
    >>> check_features({"features": ["a", "b"]}, pd.DataFrame({"a": [1]}))
    Traceback (most recent call last):
    ...
    ecommerce_analytics.modeling.errors.ModelMismatchError: the data lacks feature(s) the model was trained on: b
    """
    missing = [f for f in card["features"] if f not in frame.columns]
    if missing:
        raise ModelMismatchError(f"the data lacks feature(s) the model was trained on: {', '.join(missing)}")


def score(frame: pd.DataFrame, model: str | Path | tuple[Pipeline, dict]) -> pd.Series:
    """Probabilities of the positive outcome for every row of ``frame`` with a saved model.

    Needs only the model card's ``features``: other columns are ignored, and the session
    schema's derived features (``hour``, ``is_weekend``, ``seconds_per_page``) are derived
    when the card needs them and their inputs exist (:func:`~.features.session_features`).
    A frame lacking a feature raises :class:`ModelMismatchError` naming it (one line). Every row
    is scored, whatever the card's stage: a cart-stage model's probabilities mean something only
    for carts (:func:`score_sessions` applies the stage's rule).

    Parameters
    ----------
    frame : DataFrame
        The rows to score.
    model : str, Path or tuple
        A model file saved by :func:`save_model` (loaded with its card), or ``(pipeline, card)``
        as :func:`load_model` returns them.

    Returns
    -------
    Series
        ``<target>_probability`` (the card's target), indexed like ``frame``.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> f = pd.DataFrame({"visits": [1.0, 2, 3, 4], "churned": [0, 0, 1, 1]})
    >>> m = LogisticRegression().fit(f[["visits"]], f["churned"])
    >>> score(f, (m, {"target": "churned", "features": ["visits"]})).round(2).tolist()
    [0.19, 0.38, 0.62, 0.81]
    >>> score(f.drop(columns="visits"), (m, {"target": "churned", "features": ["visits"]}))
    Traceback (most recent call last):
    ...
    ecommerce_analytics.modeling.errors.ModelMismatchError: the data lacks feature(s) the model was trained on: visits
    """
    if isinstance(model, (str, Path)):
        pipeline, card = load_model(model)
    elif isinstance(model, tuple) and len(model) == 2 and isinstance(model[1], dict):
        pipeline, card = model
    else:
        raise ValueError(f"model must be a model file path or a (pipeline, card) pair, got {type(model).__name__}")
    if not isinstance(frame, pd.DataFrame):
        raise ValueError(f"frame must be a DataFrame, got {type(frame).__name__}")
    features = list(card["features"])
    if any(f not in frame.columns for f in features):
        frame = session_features(frame)
    check_features(card, frame)
    prob = pipeline.predict_proba(frame[features])[:, 1] if len(frame) else np.empty(0)
    return pd.Series(prob, index=frame.index, name=f"{card.get('target', 'outcome')}_probability")


#: Identifying columns :func:`score_sessions` copies to its output when the sessions have them.
_ID_COLUMNS = ("user_id", "product_id", "purchase_date")


def score_sessions(
    pipeline: Pipeline,
    card: dict,
    sessions: pd.DataFrame,
    *,
    id_columns: Sequence[str] | None = None,
    cart_column: str = "add_to_cart",
) -> pd.DataFrame:
    """Purchase probabilities for sessions with a saved model.

    A generic model (no stage in its card) scores every session. A cart-stage model scores
    only sessions with ``cart_column = 1``; the others are returned unscored with the reason.
    Output columns: ``row`` (0-based position in ``sessions``), the identifying columns,
    ``stage``, ``purchase_probability``, ``note``.

    Parameters
    ----------
    pipeline : Pipeline
        A fitted pipeline (:func:`load_model`).
    card : dict
        Its card (``stage`` and ``features``).
    sessions : DataFrame
        Sessions with the card's features (see :func:`score`).
    id_columns : sequence of str, optional
        Columns copied to the output; by default those of ``user_id``, ``product_id`` and
        ``purchase_date`` that ``sessions`` has. Named columns must exist.
    cart_column : str
        The cart flag a cart-stage model needs.

    Returns
    -------
    DataFrame
        One row per session.
    """
    if id_columns is None:
        id_columns = [c for c in _ID_COLUMNS if c in sessions.columns]
    else:
        id_columns = list(id_columns)
        missing = [c for c in id_columns if c not in sessions.columns]
        if missing:
            raise ModelMismatchError(f"the data lacks id column(s): {', '.join(missing)}")
    stage = card.get("stage")
    if stage == "cart" and cart_column not in sessions.columns:
        raise ModelMismatchError(f"a cart-stage model needs the cart flag {cart_column!r}, which the data lacks")
    frame = session_features(sessions)
    check_features(card, frame)
    eligible = (frame[cart_column] == 1).to_numpy() if stage == "cart" else np.ones(len(frame), dtype=bool)
    prob = np.full(len(frame), np.nan)
    if eligible.any():
        prob[eligible] = pipeline.predict_proba(frame.loc[eligible, card["features"]])[:, 1]
    out = {"row": np.arange(len(frame))}
    out.update({c: sessions[c].to_numpy() for c in id_columns})
    out.update(
        {
            "stage": stage,
            "purchase_probability": prob,
            "note": np.where(eligible, "", f"not scored: the cart-stage model needs {cart_column} = 1"),
        }
    )
    return pd.DataFrame(out)


# ------------------------------------------------------------------------- the notebook's models
#: Columns a saved model's card names as excluded: the outcome's definition and the stage flag.
EXCLUDED_FEATURES = ("abandoned_cart", "add_to_cart")


def data_fingerprint(source: str, sessions: pd.DataFrame, *, simulated: bool) -> str:
    """The data hash a model card records: the file's sha256, or a hash of the rows trained on.

    The rows are hashed for simulated data and for a large source (a Parquet folder), whose
    models train on a sample of it.

    Parameters
    ----------
    source : str
        The run's source (a file or folder path unless ``simulated``).
    sessions : DataFrame
        The sessions (hashed when ``simulated`` or when ``source`` is a folder).
    simulated : bool
        Whether the sessions come from the simulator.

    Returns
    -------
    str
        64 hex digits for a file, 16 for hashed rows.

    Examples
    --------
    >>> len(data_fingerprint("simulated", pd.DataFrame({"a": [1, 2]}), simulated=True))
    16
    """
    if simulated or Path(source).is_dir():
        return format(int(pd.util.hash_pandas_object(sessions, index=False).sum()) % (1 << 64), "016x")
    return file_sha256(source)


def stage_card(stage: Stage, comparison: ModelComparison, *, source: str, data_hash: str, seed: int = 0) -> dict:
    """The card of a stage's best model: stage, features, source, data hash, rows and metrics.

    Parameters
    ----------
    stage : Stage
        The prediction moment.
    comparison : ModelComparison
        Its comparison (the best model's CV and held-out metrics).
    source : str
        How reports name the data (``Run.label``).
    data_hash : str
        :func:`data_fingerprint` of the data.
    seed : int
        The seed the models were fitted with.

    Returns
    -------
    dict
        The card passed to :func:`save_model`.
    """
    h, c = comparison.holdout[comparison.best], comparison.cv[comparison.best]
    return {
        "stage": stage.name,
        "description": stage.description,
        "target": TARGET,
        "model": comparison.best,
        "numeric": list(stage.numeric),
        "categorical": list(stage.categorical),
        "source": source,
        "data_hash": data_hash,
        "seed": seed,
        "train_rows": int(len(comparison.train_index)),
        "test_rows": int(len(comparison.test_index)),
        "cv_auc": c.auc.to_dict(),
        "holdout": h.to_dict(),
        "excluded_features": list(EXCLUDED_FEATURES),
    }


def display_path(path: Path, run: Run) -> Path:
    """How results name a published model file of a run, the same on every machine.

    Parameters
    ----------
    path : Path
        The published file (only its name is used).
    run : Run
        The run; its :attr:`~ecommerce_analytics.run.Run.models_label` is the folder shown.

    Returns
    -------
    Path
        ``models/browse_stage.joblib`` for the default run, ``models/<run>/...`` otherwise,
        wherever the run's models folder actually is (tests use temporary folders).

    Examples
    --------
    >>> display_path(Path("/tmp/x/m/cart_stage.joblib"), Run()).as_posix()
    'models/cart_stage.joblib'
    >>> display_path(Path("/tmp/cart_stage.joblib"), Run("simulated", 10, 1)).as_posix()
    'models/simulated-n10-seed1/cart_stage.joblib'
    """
    return Path(run.models_label) / Path(path).name


def save_stage_models(
    reports: Sequence[StageReport], run: Run, *, data_hash: str, seed: int = 0
) -> dict[str, dict[str, str]]:
    """Save the best model of each stage with its card, in the run's models folder.

    Files are written to ``run.models_out`` and named by their published place, ``run.models_dir``.

    Parameters
    ----------
    reports : sequence of StageReport
        The validated stages (:func:`~.stages.evaluate_stage`).
    run : Run
        The run (its ``label``, ``models_out``, ``models_dir`` and ``models_root``).
    data_hash : str
        :func:`data_fingerprint` of the data.
    seed : int
        The seed the models were fitted with.

    Returns
    -------
    dict
        By stage name: ``model``, ``path`` and ``card`` (published paths, see :func:`display_path`).
    """
    saved = {}
    for report in reports:
        stage, comparison = report.stage, report.comparison
        card = stage_card(stage, comparison, source=run.label, data_hash=data_hash, seed=seed)
        save_model(comparison.pipelines[comparison.best], model_path(stage.name, run.models_out), card)
        published = display_path(model_path(stage.name, run.models_dir), run)
        saved[stage.name] = {
            "model": comparison.best,
            "path": str(published),
            "card": str(published.with_suffix(".card.json")),
        }
    return saved


def saved_sentence(saved: dict[str, dict[str, str]]) -> str:
    """Which model each stage saved for scoring new sessions (no file paths: they are in the results).

    Parameters
    ----------
    saved : dict
        :func:`save_stage_models`'s result.

    Returns
    -------
    str
        One sentence.

    Examples
    --------
    >>> print(saved_sentence({"cart": {"model": "xgboost", "path": "models/cart_stage.joblib"}}))
    Saved with a model card for scoring new sessions: the cart stage's **xgboost**.
    """
    models = "; ".join(f"the {k} stage's **{v['model']}**" for k, v in saved.items())
    return f"Saved with a model card for scoring new sessions: {models}."
