"""Spark SQL: local mode on one machine, or any cluster through ``master`` or a provided session."""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
import tempfile
import warnings
from collections.abc import Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd

from ..database import QueryError
from ..schema import TABLE_NAME
from .base import Engine, EngineUnavailableError, one_line
from .sources import parquet_tables

__all__ = ["SparkEngine", "check_spark_available", "local_session", "QUICK_START"]

INSTALL_HINT = (
    "pip install 'ecommerce-analytics[spark]' and install Java 17+ (e.g. apt-get install openjdk-17-jre-headless)"
)

#: Spark's start-up and warning lines go to stderr unless log4j2 says otherwise (pyspark's gateway
#: logger is set too, or Spark announces that it changes the level).
_LOG4J2 = """status = error
rootLogger.level = error
rootLogger.appenderRef.stderr.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{yy/MM/dd HH:mm:ss} %p %c{1}: %m%n
logger.gateway.name = org.apache.spark.api.python.PythonGatewayServer
logger.gateway.level = error
"""


#: For short jobs on small data (tests): a driver JVM that starts fast (C1-compiled code, a serial
#: collector), no whole-stage code generation and no adaptive re-planning (both cost more than
#: they save on a few thousand rows). Pass as ``local_session(**QUICK_START)``.
QUICK_START: dict[str, Any] = {
    "java_options": "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC",
    "config": {
        "spark.sql.codegen.wholeStage": "false",
        "spark.sql.codegen.factoryMode": "NO_CODEGEN",
        "spark.sql.adaptive.enabled": "false",
    },
    "shuffle_partitions": 2,
}


@contextmanager
def _quiet_pandas_warning():
    """Silence pyspark's warnings, on every conversion, that it does not yet fully support pandas 3.

    The conversions used here (Arrow both ways; numeric, text and timestamp columns) are tested.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas", category=FutureWarning)
        warnings.filterwarnings("ignore", message="The copy keyword is deprecated", module=r"pyspark\.")
        yield


def _java_found() -> bool:
    home = os.environ.get("JAVA_HOME")
    return bool(shutil.which("java") or (home and (Path(home) / "bin" / "java").is_file()))


def check_spark_available(*, need_java: bool = True) -> None:
    """Raise a one-line :class:`EngineUnavailableError` if pyspark (or a Java runtime) is missing.

    Parameters
    ----------
    need_java : bool, default True
        Also look for ``java`` (on ``PATH`` or in ``JAVA_HOME``): a local session starts a JVM.

    Raises
    ------
    EngineUnavailableError
        Saying what is missing and how to install it.
    """
    missing = []
    if importlib.util.find_spec("pyspark") is None:
        missing.append("pyspark")
    if need_java and not _java_found():
        missing.append("a Java runtime")
    if missing:
        raise EngineUnavailableError(f"the spark engine needs {' and '.join(missing)}: {INSTALL_HINT}")


def local_session(
    master: str = "local[2]",
    *,
    driver_memory: str = "2g",
    shuffle_partitions: int = 4,
    config: Mapping[str, str] | None = None,
    java_options: str = "",
) -> Any:
    """A quiet SparkSession for this package: UTC, no UI, few shuffle partitions, Arrow transfers.

    Parameters
    ----------
    master : str, default "local[2]"
        Spark master URL: ``local[N]`` (N cores of this machine), ``spark://host:7077``,
        ``yarn``, ``k8s://...``.
    driver_memory : str, default "2g"
        ``spark.driver.memory`` (takes effect when this call starts the JVM).
    shuffle_partitions : int, default 4
        ``spark.sql.shuffle.partitions`` (Spark's default of 200 is slow on small data).
    config : mapping of str to str, optional
        Further Spark settings.
    java_options : str, default ""
        Further driver JVM options (see :data:`QUICK_START`).

    Returns
    -------
    pyspark.sql.SparkSession
        The session (an already running one, if any, is reused as Spark does).
    """
    check_spark_available()
    from pyspark.sql import SparkSession

    if not isinstance(shuffle_partitions, int) or shuffle_partitions < 1:
        raise ValueError(f"shuffle_partitions must be a positive integer, got {shuffle_partitions!r}")
    log_config = Path(tempfile.gettempdir()) / f"ecommerce-analytics-log4j2-{os.getuid()}.properties"
    if not log_config.is_file() or log_config.read_text() != _LOG4J2:
        log_config.write_text(_LOG4J2)
    builder = (
        SparkSession.builder.master(master)
        .appName("ecommerce-analytics")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", str(shuffle_partitions))
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.driver.memory", driver_memory)
        .config("spark.driver.extraJavaOptions", f"-Dlog4j.configurationFile=file:{log_config} {java_options}".strip())
        .config("spark.pyspark.python", sys.executable)
    )
    for key, value in (config or {}).items():
        builder = builder.config(key, value)
    with _quiet_pandas_warning():
        spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


class SparkEngine(Engine):
    """The SQL library on Spark SQL (temporary views over Parquet or frames).

    Parameters
    ----------
    database : str or path-like, optional
        A SQLite file, copied in batches to a temporary Parquet folder (local file system: use
        a Parquet folder on shared storage with a cluster).
    parquet : str or path-like, optional
        A Parquet folder (any path Spark reads: with a cluster, one all executors see).
    frames : mapping of str to DataFrame, optional
        ``{table: frame}``, sent to Spark with Arrow.
    spark : pyspark.sql.SparkSession, optional
        A session to use (a cluster's); it is left running on :meth:`close`.
    master : str, default "local[2]"
        Master URL of the session started when ``spark`` is not given and no session is active in
        this process (an active one is used); a session the engine started is stopped on close.

    Exactly one source is given.

    Notes
    -----
    On a cluster: pass ``master="spark://host:7077"`` (or ``yarn``, ``k8s://...``), or build
    the SparkSession yourself (``SparkSession.builder.remote(...)`` for Spark Connect) and pass
    it as ``spark``; point ``parquet`` at storage the executors read (HDFS, S3, a shared disk).
    """

    name = "spark"
    dialect = "spark"

    def __init__(
        self,
        *,
        database: str | os.PathLike | None = None,
        parquet: str | os.PathLike | None = None,
        frames: Mapping[str, pd.DataFrame] | None = None,
        spark: Any = None,
        master: str = "local[2]",
    ) -> None:
        check_spark_available(need_java=spark is None)
        if spark is None and (not isinstance(master, str) or not master.strip()):
            raise ValueError(
                f"master must be a Spark master URL such as 'local[2]' or 'spark://host:7077', got {master!r}"
            )
        self._tmp = Path(tempfile.mkdtemp(prefix="ecommerce-spark-"))
        if spark is None:  # a session already running in this process is used, and left running
            from pyspark.sql import SparkSession

            spark = SparkSession.getActiveSession()
        self._owns_session = spark is None
        try:
            self._spark = spark if spark is not None else local_session(master)
            self._attach(database, parquet, frames, self._tmp)
        except BaseException:
            shutil.rmtree(self._tmp, ignore_errors=True)
            raise

    def _add_frame(self, table: str, frame: pd.DataFrame) -> None:
        with _quiet_pandas_warning():
            self._view(table, self._spark.createDataFrame(frame))

    def _view(self, table: str, frame: Any) -> None:
        frame.createOrReplaceTempView(table)
        self._tables.append(table)

    def _add_parquet(self, folder: str | os.PathLike) -> None:
        from pyspark.sql import Window
        from pyspark.sql import functions as F

        for table, where in parquet_tables(folder).items():
            frame = self._spark.read.option("recursiveFileLookup", "true").parquet(str(where))
            if table == TABLE_NAME and "session_id" not in frame.columns:
                # 1..n in file order, then row order within a file (as the DuckDB engine numbers them).
                meta = frame.select(
                    "*", F.col("_metadata.file_path").alias("_f"), F.col("_metadata.row_index").alias("_r")
                )
                numbered = meta.withColumn("session_id", F.row_number().over(Window.orderBy("_f", "_r")))
                frame = numbered.select("session_id", *frame.columns)
            self._view(table, frame)

    def _execute(self, sql: str) -> pd.DataFrame:
        try:
            with _quiet_pandas_warning():
                return self._spark.sql(sql).toPandas()
        except Exception as exc:  # pyspark's AnalysisException, ParseException, Py4JJavaError ...
            if type(exc).__module__.startswith(("pyspark", "py4j")):
                raise QueryError(one_line(exc)) from None
            raise

    def _close(self) -> None:
        try:
            for table in self._tables:
                self._spark.catalog.dropTempView(table)
            if self._owns_session:
                self._spark.stop()
        finally:
            shutil.rmtree(self._tmp, ignore_errors=True)
