"""Parameter checks shared by the statistics modules.

Each check raises :class:`ValueError` naming the parameter, the allowed values and the value
received, so a caller sees at once what to change. They return the (converted) value so they
can be used inline.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

__all__ = [
    "ALTERNATIVES",
    "check_alpha",
    "check_power",
    "check_open_unit",
    "check_choice",
    "check_positive",
    "check_min_count",
    "check_counts",
    "resolve_confidence",
]

ALTERNATIVES = ("two-sided", "larger", "smaller")


def _is_real(value: Any) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))


def check_open_unit(value: Any, name: str) -> float:
    """Check that ``value`` is a number strictly between 0 and 1.

    Parameters
    ----------
    value : float
        The value to check.
    name : str
        The parameter's name, for the message.

    Returns
    -------
    float
        ``value`` as a float.

    Raises
    ------
    ValueError
        If ``value`` is not a number in the open interval (0, 1).

    Examples
    --------
    >>> check_open_unit(0.05, "alpha")
    0.05
    >>> check_open_unit(1.5, "power")
    Traceback (most recent call last):
    ...
    ValueError: power must be a number strictly between 0 and 1, got 1.5
    """
    if not _is_real(value) or not 0 < value < 1:
        raise ValueError(f"{name} must be a number strictly between 0 and 1, got {value!r}")
    return float(value)


def check_alpha(alpha: Any, name: str = "alpha") -> float:
    """Check a significance level: a number strictly between 0 and 1.

    Parameters
    ----------
    alpha : float
        Significance level (type-I error rate); the interval's confidence is ``1 - alpha``.
    name : str, default "alpha"
        The parameter's name, for the message.

    Returns
    -------
    float
        ``alpha`` as a float.

    Examples
    --------
    >>> check_alpha(0.05)
    0.05
    """
    return check_open_unit(alpha, name)


def check_power(power: Any, name: str = "power") -> float:
    """Check a target power: a number strictly between 0 and 1.

    Parameters
    ----------
    power : float
        Probability of rejecting under the alternative.
    name : str, default "power"
        The parameter's name, for the message.

    Returns
    -------
    float
        ``power`` as a float.

    Examples
    --------
    >>> check_power(0.8)
    0.8
    """
    return check_open_unit(power, name)


def check_choice(value: Any, name: str, allowed: Iterable[Any]) -> Any:
    """Check that ``value`` is one of ``allowed``.

    Parameters
    ----------
    value : object
        The value to check.
    name : str
        The parameter's name, for the message.
    allowed : iterable
        The allowed values.

    Returns
    -------
    object
        ``value`` unchanged.

    Examples
    --------
    >>> check_choice("holm", "method", ("holm", "fdr_bh"))
    'holm'
    >>> check_choice("bogus", "alternative", ALTERNATIVES)
    Traceback (most recent call last):
    ...
    ValueError: alternative must be one of 'two-sided', 'larger', 'smaller', got 'bogus'
    """
    allowed = tuple(allowed)
    try:
        ok = value in allowed
    except TypeError:  # unhashable or incomparable values are not allowed values
        ok = False
    if not ok:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, allowed))}, got {value!r}")
    return value


def check_positive(value: Any, name: str, *, allow_zero: bool = False) -> float:
    """Check that ``value`` is a finite positive number (or non-negative with ``allow_zero``).

    Parameters
    ----------
    value : float
        The value to check.
    name : str
        The parameter's name, for the message.
    allow_zero : bool, default False
        Accept 0 as well.

    Returns
    -------
    float
        ``value`` as a float.

    Examples
    --------
    >>> check_positive(2, "sd")
    2.0
    >>> check_positive(0, "sd")
    Traceback (most recent call last):
    ...
    ValueError: sd must be a finite number > 0, got 0
    """
    bad = not _is_real(value) or not np.isfinite(value) or (value < 0 if allow_zero else value <= 0)
    if bad:
        raise ValueError(f"{name} must be a finite number {'>= 0' if allow_zero else '> 0'}, got {value!r}")
    return float(value)


def check_min_count(value: Any, name: str, minimum: int = 1) -> int:
    """Check that ``value`` is a whole number at least ``minimum`` (a sample size, a count of looks).

    Parameters
    ----------
    value : int or float
        The value to check; a float must be a whole number.
    name : str
        The parameter's name, for the message.
    minimum : int, default 1
        The smallest allowed value.

    Returns
    -------
    int
        ``value`` as an int.

    Examples
    --------
    >>> check_min_count(100, "n_control")
    100
    >>> check_min_count(0, "n_control")
    Traceback (most recent call last):
    ...
    ValueError: n_control must be a whole number >= 1, got 0
    """
    if not _is_real(value) or not np.isfinite(value) or value != int(value) or value < minimum:
        raise ValueError(f"{name} must be a whole number >= {minimum}, got {value!r}")
    return int(value)


def check_counts(successes: Any, n: Any, label: str) -> None:
    """Check binomial counts: ``n > 0`` trials and ``0 <= successes <= n``.

    Parameters
    ----------
    successes, n : int
        Successes and trials of one group.
    label : str
        Names the group in the message (e.g. ``"control"``).

    Raises
    ------
    ValueError
        If a count is not finite, the group is empty, or ``successes`` lies outside ``[0, n]``.

    Examples
    --------
    >>> check_counts(3, 10, "control")
    >>> check_counts(11, 10, "control")
    Traceback (most recent call last):
    ...
    ValueError: control: successes (11) must lie between 0 and n (10)
    """
    if not np.isfinite(successes) or not np.isfinite(n):
        raise ValueError(f"{label}: counts must be finite numbers")
    if n <= 0:
        raise ValueError(f"{label}: the arm is empty (n = {n})")
    if successes < 0 or successes > n:
        raise ValueError(f"{label}: successes ({successes}) must lie between 0 and n ({n})")


def resolve_confidence(alpha: Any, confidence: Any, default_alpha: float = 0.05) -> tuple[float, float]:
    """The ``(alpha, confidence)`` pair of a call that accepts either.

    The package's convention is ``alpha=`` (default 0.05); functions that took ``confidence=``
    before keep accepting it. A ``confidence`` given wins; the pair then is
    ``(1 - confidence, confidence)`` (an ``alpha`` other than the function's default must agree with it). With ``confidence=None`` the confidence is ``1 - alpha``
    and the returned alpha is recomputed from it, so that ``alpha=0.05`` and
    ``confidence=0.95`` give bit-identical intervals.

    Parameters
    ----------
    alpha : float
        Significance level, strictly between 0 and 1.
    confidence : float or None
        Confidence level, strictly between 0 and 1, or None to use ``1 - alpha``.
    default_alpha : float, default 0.05
        The calling function's default ``alpha``: an ``alpha`` equal to it is taken as not given.

    Returns
    -------
    tuple of float
        ``(alpha, confidence)``.

    Raises
    ------
    ValueError
        If either is outside (0, 1), or both are given and disagree.

    Examples
    --------
    >>> resolve_confidence(0.05, None)[1]
    0.95
    >>> resolve_confidence(0.05, 0.99)[1]
    0.99
    >>> resolve_confidence(0.1, 0.99)
    Traceback (most recent call last):
    ...
    ValueError: give alpha or confidence, not both with different levels (alpha=0.1, confidence=0.99)
    """
    alpha = check_alpha(alpha)
    if confidence is None:
        confidence = 1 - alpha
    else:
        confidence = check_open_unit(confidence, "confidence")
        if alpha != default_alpha and not np.isclose(alpha, 1 - confidence, rtol=0, atol=1e-12):
            raise ValueError(
                f"give alpha or confidence, not both with different levels (alpha={alpha}, confidence={confidence})"
            )
    return 1 - confidence, confidence
