"""The ``ecommerce-analytics`` command line.

Every subcommand prints progress to stderr and results to stdout. A problem with the input
(missing file, broken data, unknown query, no Kaggle credentials) ends with one line
``error: ...`` on stderr and exit status 2, without a traceback.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import sys
import time
from collections.abc import Sequence
from pathlib import Path

# Only light modules at start-up: `--help` must answer in well under a second. Each command
# imports the analysis modules it needs (numpy, pandas, scikit-learn and Jupyter are slow to load).
from . import __version__, paths
from .config import (
    DEFAULT_N_SESSIONS,
    DEFAULT_SEED,
    MAX_N_SESSIONS_IN_MEMORY,
    MAX_N_SESSIONS_PARQUET,
    SIMULATED,
    run_name,
)

EXIT_USAGE = 2
#: Largest simulation the command line accepts (about 10 GiB of memory at peak for the
#: notebooks); beyond it a run would exhaust memory long after it started.
MAX_N_SESSIONS = MAX_N_SESSIONS_IN_MEMORY
#: Seeds are non-negative and below 2**32 (numpy's legacy seed range; any such seed is valid).
MAX_SEED = 2**32 - 1
_SQLITE_HEADER = b"SQLite format 3\x00"


class UsageError(Exception):
    """A command-line argument that cannot work; ``str(err)`` is the one-line message."""


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors: ``error: <command>: <problem>`` and exit status 2."""

    def error(self, message: str):  # type: ignore[override]
        print(f"error: {self.prog}: {' '.join(message.split())}", file=sys.stderr)
        sys.exit(EXIT_USAGE)


class Progress:
    """Prints ``[ 12.3s] message`` lines to stderr, timed from construction."""

    def __init__(self, quiet: bool = False) -> None:
        self.start = time.perf_counter()
        self.quiet = quiet

    def __call__(self, message: str) -> None:
        """Print one progress line (nothing when quiet)."""
        if not self.quiet:
            print(f"[{time.perf_counter() - self.start:6.1f}s] {message}", file=sys.stderr, flush=True)


def _whole(text: str) -> int:
    try:
        return int(text.replace("_", "").replace(",", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None


def _positive_int(text: str) -> int:
    value = _whole(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _n_sessions(text: str) -> int:
    value = _positive_int(text)
    if value > MAX_N_SESSIONS_PARQUET:
        raise argparse.ArgumentTypeError(f"at most {MAX_N_SESSIONS_PARQUET:,} sessions, got {value:,}")
    return value


def _check_in_memory_size(n_sessions: int, hint: str) -> None:
    """Runs held in memory are capped (:data:`~ecommerce_analytics.config.MAX_N_SESSIONS_IN_MEMORY`)."""
    if n_sessions > MAX_N_SESSIONS_IN_MEMORY:
        raise UsageError(
            f"--n-sessions: at most {MAX_N_SESSIONS_IN_MEMORY:,} sessions in memory, got {n_sessions:,}{hint}"
        )


def _seed(text: str) -> int:
    value = _whole(text)
    if not 0 <= value <= MAX_SEED:
        raise argparse.ArgumentTypeError(f"must be between 0 and {MAX_SEED:,}, got {value:,}")
    return value


def _sep(text: str) -> str:
    if len(text) != 1:
        raise argparse.ArgumentTypeError(f"the delimiter must be exactly one character, got {text!r}")
    if text in '"\r\n\x00':
        raise argparse.ArgumentTypeError(f"the delimiter cannot be {text!r} (a quote, line break or NUL)")
    return text


def _add_source_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--source",
        default=SIMULATED,
        help=f"'{SIMULATED}' (default), the path of a CSV/Parquet file under the data contract, or a folder of "
        "Parquet files (a large source: validated in batches, aggregates in DuckDB, a stated sample for the rest)",
    )
    p.add_argument(
        "--n-sessions",
        type=_n_sessions,
        default=DEFAULT_N_SESSIONS,
        help=f"sessions to simulate (default {DEFAULT_N_SESSIONS:,}, at most {MAX_N_SESSIONS:,})",
    )
    p.add_argument(
        "--seed", type=_seed, default=DEFAULT_SEED, help=f"simulator seed, 0 to {MAX_SEED:,} (default {DEFAULT_SEED})"
    )
    _add_mapping_args(p)


def _add_mapping_args(p: argparse.ArgumentParser) -> None:
    """``--mapping FILE`` and ``--map contract=yours``: a data file's own column names."""
    p.add_argument(
        "--mapping",
        metavar="FILE",
        help='TOML file of your column names: a [columns] table of contract_column = "your_column" lines',
    )
    p.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="CONTRACT=YOURS",
        help="one column of yours for a contract column, e.g. --map user_id=customer_id (repeat it; "
        "overrides --mapping for that column)",
    )


def _column_map(args: argparse.Namespace) -> dict[str, str] | None:
    """The mapping of ``--mapping`` and ``--map`` (checked up front: a bad one is a usage error)."""
    from .data.mapping import ColumnMapError, column_map

    try:
        return column_map(getattr(args, "mapping", None), getattr(args, "map", ()))
    except ColumnMapError as exc:
        raise UsageError(str(exc)) from None


# ------------------------------------------------------------------ up-front argument checks
def _first_existing(path: Path) -> Path:
    for candidate in (path, *path.parents):
        if candidate.exists():
            return candidate
    return Path(".")


def _check_creatable(path: Path, flag: str) -> None:
    """The folders above ``path`` exist or can be made (no file stands in the way)."""
    anchor = _first_existing(path.parent)
    if not anchor.is_dir():
        raise UsageError(f"{flag} {path}: {anchor} is a file, so the folder cannot be created")


def _check_out_file(value: str | None, flag: str) -> None:
    if not value:
        return
    path = Path(value)
    if path.is_dir():
        raise UsageError(f"{flag} {path}: is a directory; give the path of a file to write")
    if path.exists() and not path.is_file():
        raise UsageError(f"{flag} {path}: exists and is not a regular file")
    _check_creatable(path, flag)


def _check_out_dir(value: str | None, flag: str) -> None:
    if not value:
        return
    path = Path(value)
    if path.exists() and not path.is_dir():
        raise UsageError(f"{flag} {path}: is a file, not a folder")
    _check_creatable(path / "x", flag)


def _check_in_file(value: str, flag: str, what: str) -> Path:
    path = Path(value)
    if not path.exists():
        raise UsageError(f"{flag} {path}: {'model file' if flag == '--model' else 'file'} not found")
    if path.is_dir():
        raise UsageError(f"{flag} {path}: is a directory, not {what}")
    return path


def _sqlite_head(path: Path) -> bytes:
    try:
        with open(path, "rb") as fh:
            return fh.read(len(_SQLITE_HEADER))
    except OSError as exc:
        raise UsageError(f"--db {path}: cannot be read ({exc.strerror})") from None


def _check_db_to_read(value: str) -> None:
    path = Path(value)
    if not path.exists():
        raise UsageError(f"--db {path}: database not found (build it with `ecommerce-analytics build-db`)")
    if path.is_dir():
        raise UsageError(f"--db {path}: is a directory, not a SQLite database")
    head = _sqlite_head(path)
    if head != _SQLITE_HEADER:
        raise UsageError(f"--db {path}: " + ("an empty file" if not head else "not a SQLite database"))


def _check_db_to_write(value: str | None) -> None:
    if not value:
        return
    path = Path(value)
    _check_out_file(value, "--db")
    if path.is_file() and path.stat().st_size and _sqlite_head(path) != _SQLITE_HEADER:
        raise UsageError(f"--db {path}: exists and is not a SQLite database; refusing to overwrite it")


def _check_source(value: str) -> None:
    if str(value) == SIMULATED:
        return
    path = Path(value)
    if path.is_dir():  # a large source: a folder of Parquet files
        if not any(path.rglob("*.parquet")):
            raise UsageError(f"--source {path}: is a folder without Parquet files, not a data file")
        return
    _check_in_file(value, "--source", "a data file or a folder of Parquet files")


def _check_notebooks(selection: Sequence[str] | None) -> None:
    """Check that each requested notebook matches a numbered notebook.

    The pipeline's rule: a number, a file stem or a prefix of one.
    """
    if not selection:
        return
    stems = sorted(p.stem for p in paths.NOTEBOOKS_DIR.glob("[0-9][0-9]_*.ipynb"))
    for s in selection:
        if not any(stem == s or stem.startswith(f"{int(s):02d}_" if s.isdigit() else s) for stem in stems):
            raise UsageError(f"--notebooks: no notebook matches {s!r}; available: {', '.join(stems)}")


def _check_model(value: str) -> None:
    """Check the model file, its card, and the file's sha256 against the card.

    The card must be a JSON object recording the file's sha256 (the full check, with a
    restricted unpickler, is ``load_model``).
    """
    path = _check_in_file(value, "--model", "a model file")
    card_path = path.with_suffix(".card.json")
    if not card_path.is_file():
        raise UsageError(f"--model {path}: model card {card_path.name} not found beside the model")
    try:
        card = json.loads(card_path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise UsageError(
            f"--model {path}: model card {card_path.name} is not valid JSON ({' '.join(str(exc).split())[:120]})"
        ) from None
    if not isinstance(card, dict) or not isinstance(card.get("model_sha256"), str):
        raise UsageError(
            f"--model {path}: model card {card_path.name} does not record the model's sha256 "
            "(not a card the project wrote, or from an older version)"
        )
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != card["model_sha256"]:
        raise UsageError(
            f"--model {path}: the file's sha256 does not match its card; "
            "refusing to load a model file the project did not write"
        )


def check_args(args: argparse.Namespace) -> None:
    """Validate every argument of a command before any work; raises :class:`UsageError`."""
    command = args.command
    if hasattr(args, "map"):
        args.columns = _column_map(args)
        if args.columns and getattr(args, "source", None) == SIMULATED:
            raise UsageError("--mapping/--map: the simulator already uses the contract's names; give --source FILE")
    if command in ("report", "build-db"):
        _check_source(args.source)
        _check_db_to_write(args.db)
        _check_in_memory_size(args.n_sessions, "")
    if command == "report":
        _check_notebooks(args.notebooks)
    elif command == "simulate":
        _check_out_dir(args.out, "--out")
        if args.format == "csv":
            _check_in_memory_size(args.n_sessions, " (--format parquet writes more, in chunks)")
            if args.chunk_size is not None:
                raise UsageError("--chunk-size: only with --format parquet")
    elif command == "validate":
        _check_out_file(args.quarantine_out, "--quarantine-out")
        _check_out_file(args.json, "--json")
        for flag, out in (("--quarantine-out", args.quarantine_out), ("--json", args.json)):
            _check_not_the_input(out, flag, args.path)
    elif command == "fetch-kaggle":
        _check_out_dir(args.dest, "--dest")
    elif command == "predict":
        _check_model(args.model)
        _check_in_file(args.data, "--data", "a data file")
        _check_out_file(args.out, "--out")
        _check_not_the_input(args.out, "--out", args.data)
    elif command == "sql":
        if args.parquet:
            if args.engine == "sqlite":
                raise UsageError("--parquet: give --engine duckdb or spark (SQLite reads a database file, --db)")
            if not Path(args.parquet).is_dir():
                raise UsageError(f"--parquet {args.parquet}: not a folder")
        elif not args.list:
            _check_db_to_read(args.db)
        _check_out_dir(args.out, "--out")


def _check_not_the_input(out: str | None, flag: str, source: str) -> None:
    """An output may not overwrite the file being read."""
    if out and Path(out).exists() and Path(source).exists() and Path(out).resolve() == Path(source).resolve():
        raise UsageError(f"{flag} {out}: is the input file; writing it would destroy the data")


def _write_csv(frame, path: str | Path, raw: bool, **kwargs) -> None:
    """Write a CSV output, escaping formula-like text cells unless ``raw``.

    Text cells that a spreadsheet would run as a formula get a leading single quote.

    Escaped outputs end their lines with CRLF (RFC 4180): the csv writer then quotes every cell
    that holds a carriage return, so a CR inside a cell can never start a new row whose first
    cell is an unescaped formula (with LF endings, a lone CR is written unquoted).
    """
    from .data import escape_formulas

    if raw:
        frame.to_csv(path, index=False, lineterminator="\n", **kwargs)
    else:
        escape_formulas(frame).to_csv(path, index=False, lineterminator="\r\n", **kwargs)


def _print_frame(name: str, frame, question: str | None = None) -> None:
    import pandas as pd

    print(f"\n== {name}" + (f": {question}" if question else ""))
    with pd.option_context("display.width", 160, "display.max_columns", 30, "display.float_format", "{:,.4f}".format):
        print(frame.to_string(index=False))


# --------------------------------------------------------------------------- subcommands
def cmd_simulate(args: argparse.Namespace) -> int:
    """Simulate sessions with a known truth and write them (``simulate``)."""
    from .simulate import simulate, simulate_to_parquet

    progress = Progress(args.quiet)
    if args.format == "parquet":
        try:
            written = simulate_to_parquet(
                args.n_sessions,
                args.seed,
                args.out,
                chunk_size=args.chunk_size or 1_000_000,
                overwrite=args.overwrite,
                progress=progress,
            )
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        print(written.out_dir)
        return 0
    sim = simulate(args.n_sessions, args.seed, progress=progress)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    fmt = "%Y-%m-%d %H:%M:%S"
    sim.sessions.to_csv(out / "sessions.csv", index=False, date_format=fmt, lineterminator="\n")
    sim.assignments.to_csv(out / "experiment_assignments.csv", index=False, date_format=fmt, lineterminator="\n")
    sim.pre_period.to_csv(out / "user_pre_period.csv", index=False, lineterminator="\n")
    sim.truth.sessions.to_csv(out / "truth_sessions.csv", index=False, lineterminator="\n")
    (out / "truth_summary.json").write_text(json.dumps(sim.truth.summary(), indent=2, sort_keys=True) + "\n")
    progress(f"wrote sessions.csv, experiment_assignments.csv, user_pre_period.csv and the truth to {out}")
    print(out / "sessions.csv")
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    """Validate a file under the data contract and print the load report (``validate``)."""
    from .data import load_sessions

    result = load_sessions(args.path, sep=args.sep, columns=args.columns)
    print(result.report.summary())
    if args.quarantine_out and len(result.quarantine):
        Path(args.quarantine_out).parent.mkdir(parents=True, exist_ok=True)
        _write_csv(result.quarantine, args.quarantine_out, args.raw_csv)
        print(f"Quarantined rows written to {args.quarantine_out}")
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(result.report.to_dict(), indent=2) + "\n")
    return 0


def cmd_fetch_kaggle(args: argparse.Namespace) -> int:
    """Download the Kaggle dataset with the Kaggle CLI (``fetch-kaggle``)."""
    from .data import fetch_kaggle

    progress = Progress(args.quiet)
    progress("downloading the Kaggle dataset (needs Kaggle credentials)")
    target = fetch_kaggle(args.dest)
    progress(f"saved {target}")
    print(target)
    return 0


def cmd_build_db(args: argparse.Namespace) -> int:
    """Build the SQLite database of a source (``build-db``)."""
    from .database import build_database
    from .sources import load_source

    progress = Progress(args.quiet)
    data = load_source(args.source, n_sessions=args.n_sessions, seed=args.seed, progress=progress, columns=args.columns)
    rep = data.loaded.report
    progress(f"{rep.rows_kept:,} rows kept, {rep.rows_quarantined:,} quarantined")
    sim = data.simulation
    db = Path(args.db) if args.db else paths.database_path(run_name(args.source, args.n_sessions, args.seed))
    if data.dataset is not None:  # a large source: every validated row, copied in batches
        from .engines import parquet_to_sqlite

        path = parquet_to_sqlite(data.dataset, db, progress=progress)
        progress(f"database written: {path}")
        print(path)
        return 0
    path = build_database(
        data.sessions,
        db,
        assignments=sim.assignments if sim else None,
        pre_period=sim.pre_period if sim else None,
        progress=progress,
    )
    progress(f"database written: {path}")
    print(path)
    return 0


def cmd_sql(args: argparse.Namespace) -> int:
    """Run one query or the whole SQL library (``sql``)."""
    from .database import get_query, list_queries, run_query

    if args.list:
        for q in list_queries():
            print(f"{q.name}: {q.question}")
        return 0
    names = [q.name for q in list_queries()] if args.all or not args.queries else args.queries
    queries = [get_query(n) for n in names]
    if args.engine == "sqlite" and not args.parquet:
        _run_queries(queries, lambda q: run_query(args.db, q), args)
        return 0
    from .engines import connect_engine

    source = {"parquet": args.parquet} if args.parquet else {"database": args.db}
    extra = {"master": args.master} if args.engine == "spark" else {}
    Progress(args.quiet)(f"opening the {args.engine} engine on {args.parquet or args.db}")
    with connect_engine(args.engine, **source, **extra) as engine:
        _run_queries(queries, lambda q: run_query(engine, q), args)
    return 0


def _run_queries(queries, run, args: argparse.Namespace) -> None:
    """Print each query's result (and write it to ``--out``)."""
    for q in queries:
        frame = run(q)
        _print_frame(q.name, frame, q.question)
        if args.out:
            Path(args.out).mkdir(parents=True, exist_ok=True)
            _write_csv(frame, Path(args.out) / f"{q.name}.csv", args.raw_csv)


def cmd_predict(args: argparse.Namespace) -> int:
    """Score sessions with a saved model (``predict``)."""
    from .data import load_sessions
    from .modeling import load_model, score_sessions

    progress = Progress(args.quiet)
    pipeline, card = load_model(args.model)
    scope = f"the {card['stage']} stage" if card.get("stage") else "every session"
    progress(f"model: {card.get('model', '?')} for {scope} ({len(card['features'])} features)")
    loaded = load_sessions(args.data, sep=args.sep, columns=args.columns)
    rep = loaded.report
    if rep.rows_quarantined:
        reasons = "; ".join(f"{k}: {v}" for k, v in rep.quarantine_reasons.items())
        print(
            f"warning: {rep.rows_quarantined:,} of {rep.rows_in:,} rows quarantined and not scored ({reasons})",
            file=sys.stderr,
        )
    scores = score_sessions(pipeline, card, loaded.sessions)
    scores.insert(0, "line", loaded.lines)
    scores = scores.drop(columns="row")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    _write_csv(scores, args.out, args.raw_csv, date_format="%Y-%m-%d %H:%M:%S")
    scored = int(scores.purchase_probability.notna().sum())
    print(
        f"Scored {scored:,} of {rep.rows_in:,} rows ({rep.rows_quarantined:,} quarantined, "
        f"{len(scores) - scored:,} not eligible for {scope}) -> {args.out}"
    )
    return 0


def cmd_docs(args: argparse.Namespace) -> int:
    """Regenerate, or check, the documents built from the default run (``docs``)."""
    from .recommendations import write_docs

    stale = write_docs(check=args.check)
    if args.check:
        if stale:
            print(
                "error: generated documents are stale (run `ecommerce-analytics docs`): " + ", ".join(stale),
                file=sys.stderr,
            )
            return 1
        print("Generated documents match the default run's results.")
        return 0
    print("Updated: " + ", ".join(stale) if stale else "Nothing to update: documents match the results.")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    """Validate the source, build its database, run the SQL library and the notebooks (``report``)."""
    from .database import run_all
    from .pipeline import run_report
    from .recommendations import write_docs
    from .run import Run
    from .sources import ensure_database, prepare_source

    progress = Progress(args.quiet)
    run = Run(str(args.source), args.n_sessions, args.seed, columns=args.columns)
    progress(f"source: {args.source}")
    # The data are simulated (or read) once and the database built once: the notebooks read both.
    data = prepare_source(
        args.source, n_sessions=args.n_sessions, seed=args.seed, progress=progress, columns=args.columns
    )
    rep = data.loaded.report
    progress(f"validated: {rep.rows_in:,} rows in, {rep.rows_kept:,} kept, {rep.rows_quarantined:,} quarantined")
    sim = data.simulation
    if data.dataset is not None:  # a large source: the library runs on its validated Parquet folder
        engine_name = "duckdb" if args.engine == "sqlite" else args.engine
        with data.engine(engine_name) as engine:
            results = run_all(engine, progress=progress)
        where = f"{data.dataset} (Parquet)"
    else:
        engine_name = args.engine
        db_path = Path(args.db) if args.db else run.database
        ensure_database(data, db_path, progress=progress)
        progress(f"database: {db_path}")
        results = run_all(db_path, progress=progress, engine=None if args.engine == "sqlite" else args.engine)
        where = str(db_path)
    overall = results["01_overall_metrics"].iloc[0]
    print("\n" + rep.summary())
    print(f"\nDatabase: {where} ({len(results)} SQL queries run on {engine_name})")
    print(
        f"Sessions {int(overall.sessions):,} | users {int(overall.users):,} | conversion "
        f"{_metric(overall.conversion_rate, '.1%')} | cart abandonment {_metric(overall.cart_abandonment_rate, '.1%')} | "
        f"average order value {_metric(overall.avg_order_value, ',.2f')} | "
        f"bounce rate {_metric(overall.bounce_rate, '.1%')}"
    )
    if sim is not None:
        t = sim.truth
        print(
            f"Simulator truth: discount offer effect (ATE) {t.discount_ate:+.2%} on purchase probability; "
            f"experiment lift {t.experiment['absolute_lift']:+.2%} "
            f"({t.experiment['relative_lift']:+.1%} relative); price elasticity {t.price_elasticity:.2f}"
        )
    if not args.no_notebooks:
        done = run_report(run, notebooks=args.notebooks, progress=progress)
        print(f"\nNotebooks ({run.name} run):")
        for nb_path, html, (stem, secs) in zip(done.notebooks, done.html, done.seconds.items(), strict=True):
            print(f"  {stem}: {secs:.1f} s -> {_rel(nb_path)} | {_rel(html)}")
        for sentence in done.skipped.values():
            print(f"  {sentence}")
        print(f"Results JSON: {_rel(run.results_dir)}")
        if run.is_default and not args.notebooks:
            stale = write_docs()
            print(
                "Generated documents updated: " + ", ".join(stale) if stale else "Generated documents are up to date."
            )
    progress("done")
    return 0


def _metric(value: object, spec: str) -> str:
    """A headline metric, or "n/a" where the data lack its column (the query answers NULL)."""
    return "n/a" if value is None or value != value else format(value, spec)


def _rel(path: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(paths.PROJECT_ROOT))
    except ValueError:
        return str(path)


# ------------------------------------------------------------------------------- parser
def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    parser = _Parser(
        prog="ecommerce-analytics",
        description="E-commerce session analytics: simulate data with a known truth, validate files "
        "under the data contract, build the SQLite database and run the SQL library.",
        epilog="Quick start: `ecommerce-analytics report` runs the main job on the simulated default.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress lines on stderr")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_report(sub)
    _add_simulate(sub)
    _add_validate(sub)
    _add_fetch_kaggle(sub)
    _add_build_db(sub)
    _add_predict(sub)
    _add_docs(sub)
    _add_sql(sub)
    return parser


def _add_raw_csv(p: argparse.ArgumentParser) -> None:
    """The ``--raw-csv`` flag of commands that write CSV files."""
    p.add_argument(
        "--raw-csv",
        action="store_true",
        help="write CSV cells as they are (default: text cells starting with = + - @ tab or CR get a leading ' "
        "so a spreadsheet shows them as text)",
    )


def _add_report(sub) -> None:
    """The ``report`` subcommand."""
    p = sub.add_parser(
        "report", help="the main job: load, validate, build the database, run all SQL, execute and render the notebooks"
    )
    _add_source_args(p)
    p.add_argument(
        "--db",
        help="database path (default: data/processed/ecommerce.sqlite for the default run, "
        "data/processed/<run>.sqlite otherwise)",
    )
    p.add_argument(
        "--engine",
        choices=("sqlite", "duckdb", "spark"),
        default="sqlite",
        help="engine of the SQL library's run (default sqlite; the notebooks' queries use SQLite)",
    )
    p.add_argument("--notebooks", nargs="+", metavar="NB", help="run only these notebooks (numbers or names)")
    p.add_argument("--no-notebooks", action="store_true", help="skip executing and rendering the notebooks")
    p.set_defaults(func=cmd_report)


def _add_simulate(sub) -> None:
    """The ``simulate`` subcommand."""
    p = sub.add_parser(
        "simulate", help="write simulated sessions, experiment tables and the truth to CSV, or to Parquet in chunks"
    )
    p.add_argument(
        "--n-sessions",
        type=_n_sessions,
        default=DEFAULT_N_SESSIONS,
        help=f"sessions to simulate (default {DEFAULT_N_SESSIONS:,}; at most {MAX_N_SESSIONS_IN_MEMORY:,} to CSV, "
        f"{MAX_N_SESSIONS_PARQUET:,} to Parquet)",
    )
    p.add_argument("--seed", type=_seed, default=DEFAULT_SEED, help=f"0 to {MAX_SEED:,} (default {DEFAULT_SEED})")
    p.add_argument("--out", default=str(paths.PROCESSED_DIR / "simulated"), help="output folder")
    p.add_argument(
        "--format",
        choices=("csv", "parquet"),
        default="csv",
        help="csv (default: one file per table, in memory) or parquet (a folder per table, written in chunks "
        "with bounded memory; the same seed gives the same data whatever the chunk size)",
    )
    p.add_argument("--chunk-size", type=_positive_int, default=None, help="rows per Parquet file (default 1,000,000)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing Parquet dataset in --out")
    p.set_defaults(func=cmd_simulate)


def _add_validate(sub) -> None:
    """The ``validate`` subcommand."""
    p = sub.add_parser("validate", help="check a file against the data contract and print the report")
    p.add_argument("path", help="CSV or Parquet file")
    p.add_argument("--sep", type=_sep, default=",", help="CSV delimiter, one character (default ',')")
    _add_mapping_args(p)
    p.add_argument("--quarantine-out", help="write quarantined rows, with their reasons, to this CSV")
    p.add_argument("--json", help="write the report as JSON to this file")
    _add_raw_csv(p)
    p.set_defaults(func=cmd_validate)


def _add_fetch_kaggle(sub) -> None:
    """The ``fetch-kaggle`` subcommand."""
    p = sub.add_parser(
        "fetch-kaggle", help="download the Kaggle dataset (needs the kaggle CLI or kagglehub and credentials)"
    )
    p.add_argument("--dest", default=str(paths.RAW_DIR), help="folder (default data/raw)")
    p.set_defaults(func=cmd_fetch_kaggle)


def _add_build_db(sub) -> None:
    """The ``build-db`` subcommand."""
    p = sub.add_parser("build-db", help="load a source and write the SQLite database")
    _add_source_args(p)
    p.add_argument(
        "--db",
        help="database path (default: the run's database, as for `report`: "
        "data/processed/ecommerce.sqlite for the default run, data/processed/<run>.sqlite "
        "otherwise; an existing file that is not a SQLite database is never overwritten)",
    )
    p.set_defaults(func=cmd_build_db)


def _add_predict(sub) -> None:
    """The ``predict`` subcommand."""
    p = sub.add_parser("predict", help="score sessions with a saved model (through the data contract)")
    p.add_argument("--model", required=True, help="a saved model, e.g. models/browse_stage.joblib (card beside it)")
    p.add_argument("--data", required=True, help="CSV or Parquet file of sessions under the data contract")
    p.add_argument("--out", required=True, help="CSV to write: line, ids, stage, purchase_probability, note")
    p.add_argument("--sep", type=_sep, default=",", help="CSV delimiter, one character (default ',')")
    _add_mapping_args(p)
    _add_raw_csv(p)
    p.set_defaults(func=cmd_predict)


def _add_docs(sub) -> None:
    """The ``docs`` subcommand."""
    p = sub.add_parser(
        "docs",
        help="write the README's key findings, the resume bullets and the SQL index from the default run's results",
    )
    p.add_argument("--check", action="store_true", help="only check that they are up to date (exit 1 if not)")
    p.set_defaults(func=cmd_docs)


def _add_sql(sub) -> None:
    """The ``sql`` subcommand."""
    p = sub.add_parser("sql", help="run queries of the SQL library against a database")
    p.add_argument("queries", nargs="*", help="query names or numbers (default: all)")
    p.add_argument("--all", action="store_true", help="run every query")
    p.add_argument("--list", action="store_true", help="list the queries and the question each answers")
    p.add_argument("--db", default=str(paths.DEFAULT_DATABASE), help="database path")
    p.add_argument(
        "--engine",
        choices=("sqlite", "duckdb", "spark"),
        default="sqlite",
        help="SQL engine (default sqlite; duckdb and spark run the same queries, transpiled with SQLGlot)",
    )
    p.add_argument(
        "--parquet", metavar="DIR", help="a Parquet folder (one sub-folder per table) to query instead of --db"
    )
    p.add_argument(
        "--master", default="local[2]", help="Spark master URL: local[N] (default local[2]), spark://host:7077, yarn"
    )
    p.add_argument("--out", help="also write each result to OUT/<query>.csv")
    _add_raw_csv(p)
    p.set_defaults(func=cmd_sql)


def _expected_errors() -> tuple[tuple[type[BaseException], ...], tuple[type[BaseException], ...]]:
    """(input errors -> exit 2, run failures -> exit 1), from the modules a command has loaded.

    Only modules already imported are asked, so an error path never loads a heavy module.
    """
    # OSError: a path the command cannot read or write (permission denied, a directory where a file
    # was meant, ...): the message names the path.
    usage: list[type[BaseException]] = [OSError]
    failure: list[type[BaseException]] = []
    for module, names, into in (
        ("data", ("DataContractError", "KaggleFetchError"), usage),
        ("database", ("QueryError", "DatabaseFileError"), usage),
        ("engines", ("EngineUnavailableError",), usage),
        ("modeling", ("ModelMismatchError", "ModelFileError"), usage),
        ("pipeline", ("NotebookError",), failure),
    ):
        loaded = sys.modules.get(f"{__package__}.{module}")
        into.extend(getattr(loaded, n) for n in names if loaded is not None and hasattr(loaded, n))
    return tuple(usage), tuple(failure)


def _log_warnings_to_stderr() -> None:
    """The package's warnings (``logging``) reach the terminal as ``warning: ...`` lines."""
    logger = logging.getLogger("ecommerce_analytics")
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("warning: %(message)s"))
        handler.setLevel(logging.WARNING)
        logger.addHandler(handler)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, or a one-line argparse error (exit 2)
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else EXIT_USAGE)
    _log_warnings_to_stderr()
    try:
        check_args(args)  # every argument, before any work
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        return int(args.func(args) or 0)
    except Exception as exc:
        usage, failure = _expected_errors()
        if isinstance(exc, usage):
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_USAGE
        if isinstance(exc, failure):
            print(f"error: {exc}", file=sys.stderr)
            return 1
        raise
    except (
        KeyboardInterrupt
    ) as exc:  # pipeline.ReportInterrupted says which notebook: "interrupted: <nb>, nothing written"
        print(str(exc) or "interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
