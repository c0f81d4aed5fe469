"""Your columns to the contract's: a small mapping, from a TOML file or ``contract=yours`` pairs.

A mapping names, for some contract columns, the column of your file that holds it::

    # my_shop.toml: contract column = your column
    [columns]
    user_id = "customer_id"
    purchase_date = "event_time"
    purchase_decision = "converted"

The loader applies it before matching the header (:func:`~ecommerce_analytics.data.load_sessions`
``columns=``), and the load report echoes it. The command line takes the same mapping as
``--mapping my_shop.toml`` or as ``--map user_id=customer_id --map ...`` (both may be combined;
a ``--map`` overrides the file for its column).
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path

from ..schema import COLUMNS_BY_NAME, normalize_column_name

__all__ = ["ColumnMapError", "parse_column_pairs", "read_column_map", "column_map"]


class ColumnMapError(ValueError):
    """A mapping that cannot be used; ``str(err)`` is one line naming the file or flag and the problem."""


def _check(mapping: Mapping[str, str], where: str) -> dict[str, str]:
    """Canonical contract names as keys, non-empty text values, no source column used twice."""
    out: dict[str, str] = {}
    used: dict[str, str] = {}
    for key, value in mapping.items():
        canon = normalize_column_name(key)
        if canon not in COLUMNS_BY_NAME:
            raise ColumnMapError(f"{where}: {key!r} is not a contract column (see the README's data contract)")
        if not isinstance(value, str) or not value.strip():
            raise ColumnMapError(f"{where}: the column mapped to {canon!r} must be a non-empty name, got {value!r}")
        if value in used:
            raise ColumnMapError(f"{where}: {value!r} is mapped to both {used[value]!r} and {canon!r}")
        used[value] = canon
        out[canon] = value
    return out


def read_column_map(path: str | os.PathLike) -> dict[str, str]:
    r"""Read a mapping file (TOML, a ``[columns]`` table of ``contract = "yours"``).

    Parameters
    ----------
    path : str or path-like
        The TOML file.

    Returns
    -------
    dict
        ``{contract column: your column}``.

    Raises
    ------
    ColumnMapError
        Missing or unreadable file, no ``[columns]`` table, an unknown contract column, an empty
        name, or one of your columns mapped twice.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = Path(folder, "map.toml")
    ...     _ = path.write_text('[columns]\nuser_id = "customer_id"\n')
    ...     read_column_map(path)
    {'user_id': 'customer_id'}
    """
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ColumnMapError(f"{path}: mapping file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ColumnMapError(f"{path}: cannot read the mapping file ({exc.__class__.__name__})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ColumnMapError(f"{path}: not valid TOML ({' '.join(str(exc).split())})") from None
    table = data.get("columns")
    if not isinstance(table, dict) or not table:
        raise ColumnMapError(f'{path}: expected a [columns] table of contract_column = "your_column" lines')
    return _check(table, str(path))


def parse_column_pairs(pairs: Iterable[str]) -> dict[str, str]:
    """Parse ``contract=yours`` pairs (the command line's ``--map``).

    Parameters
    ----------
    pairs : iterable of str
        Each ``"user_id=customer_id"``; blanks around the names are ignored.

    Returns
    -------
    dict
        ``{contract column: your column}`` (a later pair for the same column wins).

    Examples
    --------
    >>> parse_column_pairs(["user_id=customer_id", "purchase_date = event_time"])
    {'user_id': 'customer_id', 'purchase_date': 'event_time'}
    >>> parse_column_pairs(["user_id"])
    Traceback (most recent call last):
    ...
    ecommerce_analytics.data.mapping.ColumnMapError: --map 'user_id': expected contract_column=your_column
    """
    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = str(pair).partition("=")
        if not sep or not key.strip() or not value.strip():
            raise ColumnMapError(f"--map {pair!r}: expected contract_column=your_column")
        out[key.strip()] = value.strip()
    return _check(out, "--map")


def column_map(path: str | os.PathLike | None = None, pairs: Iterable[str] = ()) -> dict[str, str] | None:
    """The mapping of a file and of pairs together (pairs win); None when neither gives one.

    Parameters
    ----------
    path : str or path-like, optional
        A mapping file (:func:`read_column_map`).
    pairs : iterable of str
        ``contract=yours`` pairs (:func:`parse_column_pairs`).

    Returns
    -------
    dict or None
        ``{contract column: your column}``, or None.

    Examples
    --------
    >>> column_map(None, ["purchase_decision=converted"])
    {'purchase_decision': 'converted'}
    >>> column_map() is None
    True
    """
    merged = dict(read_column_map(path)) if path is not None else {}
    merged.update(parse_column_pairs(pairs))
    return _check(merged, "mapping") if merged else None
