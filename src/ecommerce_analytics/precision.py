"""Committed numbers at a stated precision: one place that rounds floats before they are written.

Floating-point reductions (sums in BLAS kernels, SIMD paths, thread counts) end in different
last bits on different machines. Everything committed that holds computed numbers (results
JSON, Plotly figure data inside notebooks, model cards) passes through :func:`round_floats`, so
those bits never reach a file: on any machine with the pinned versions, the committed files are
identical to :data:`~ecommerce_analytics.config.SIGNIFICANT_DIGITS` significant digits.

A value that lies within rounding distance of a decimal boundary can still round differently on
two machines (about one value in 10^7); :func:`numbers_close` is the tolerance the tests use to
tell such a flip from a real change.
"""

from __future__ import annotations

import base64
import json
import math
from typing import Any

import numpy as np

from .config import SIGNIFICANT_DIGITS

__all__ = ["round_float", "round_floats", "round_figure", "dumps", "numbers_close", "first_difference"]


def round_float(x: float, digits: int = SIGNIFICANT_DIGITS) -> float:
    """``x`` rounded to ``digits`` significant digits (NaN and infinities unchanged).

    Examples
    --------
    >>> round_float(0.1496310215385516)
    0.14963102
    >>> round_float(1.986600488408073e-06)
    1.9866005e-06
    >>> round_float(123456789.0)
    123456790.0
    """
    if digits < 1:
        raise ValueError(f"digits must be at least 1, got {digits}")
    x = float(x)
    if x == 0.0 or not math.isfinite(x):
        return x
    return float(f"{x:.{digits}g}")


def round_floats(value: Any, digits: int = SIGNIFICANT_DIGITS) -> Any:
    """A copy of a JSON-like structure (dicts, lists, tuples, scalars) with every float rounded.

    Integers, booleans and strings are unchanged (numpy scalars become Python ones); tuples
    become lists.

    Examples
    --------
    >>> round_floats({"a": [0.123456789012, 3], "b": True, "c": "x"})
    {'a': [0.12345679, 3], 'b': True, 'c': 'x'}
    """
    if isinstance(value, dict):
        return {k: round_floats(v, digits) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [round_floats(v, digits) for v in value]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (float, np.floating)):
        return round_float(value, digits)
    if isinstance(value, np.integer):
        return int(value)
    return value


def _decode_typed_array(spec: dict) -> np.ndarray:
    """Plotly's base64 typed array ``{"dtype", "bdata"[, "shape"]}`` as a numpy array."""
    array = np.frombuffer(base64.b64decode(spec["bdata"]), dtype=np.dtype(spec["dtype"]))
    shape = spec.get("shape")
    if shape:
        dims = [int(d) for d in str(shape).split(",")] if isinstance(shape, str) else list(shape)
        array = array.reshape(dims)
    return array


def round_figure(spec: Any, digits: int = SIGNIFICANT_DIGITS) -> Any:
    """A Plotly figure's JSON with every float rounded, including base64 typed arrays.

    Float arrays that Plotly stores as base64 (``{"dtype": "f8", "bdata": ...}``) become plain
    lists of rounded numbers (readable in a diff, and their precision is the stated one); integer
    arrays stay as they are, since they are exact. NaN and infinities become ``null`` (valid
    JSON; Plotly leaves a gap).
    """
    if isinstance(spec, dict):
        if set(spec) >= {"dtype", "bdata"} and isinstance(spec.get("bdata"), str):
            array = _decode_typed_array(spec)
            if array.dtype.kind == "f":
                return round_figure(array.tolist(), digits)
            return spec
        return {k: round_figure(v, digits) for k, v in spec.items()}
    if isinstance(spec, list):
        return [round_figure(v, digits) for v in spec]
    if isinstance(spec, (float, np.floating)) and not math.isfinite(spec):
        return None  # JSON has no NaN; Plotly draws null as a gap
    return round_floats(spec, digits)


def dumps(value: Any, digits: int = SIGNIFICANT_DIGITS) -> str:
    """Canonical JSON text of committed results.

    Floats rounded, keys sorted, two-space indent, no NaN (write ``None`` instead), one trailing
    newline.
    """
    return json.dumps(round_floats(value, digits), indent=2, sort_keys=True, allow_nan=False) + "\n"


#: Below this, two numbers are both rounding noise (a difference that is exactly 0 on one machine
#: and 1e-17 on another): :func:`numbers_close` treats them as equal.
ABSOLUTE_NOISE = 1e-12


def numbers_close(a: float, b: float, digits: int = SIGNIFICANT_DIGITS) -> bool:
    """Whether two numbers agree to ``digits`` significant digits, give or take one last-digit unit.

    One unit in the last digit is allowed because a value near a rounding boundary may round
    either way on two machines; numbers that differ by less than :data:`ABSOLUTE_NOISE` agree too.

    Examples
    --------
    >>> numbers_close(0.14963102, 0.14963103)
    True
    >>> numbers_close(0.14963102, 0.14963112)
    False
    """
    if a == b:
        return True
    if not (math.isfinite(a) and math.isfinite(b)):
        return False
    if abs(a - b) < ABSOLUTE_NOISE:
        return True
    scale = max(abs(a), abs(b))
    return abs(a - b) <= 1.000001 * 10 ** (math.floor(math.log10(scale)) - digits + 1)


def first_difference(a: Any, b: Any, digits: int = SIGNIFICANT_DIGITS, where: str = "") -> str | None:
    """Where two JSON-like structures first differ (``None`` if they agree).

    Numbers are compared with :func:`numbers_close`. The answer is a path such as
    ``data[0].y[3]: 0.12 != 0.13``.
    """
    if isinstance(a, dict) and isinstance(b, dict):
        if set(a) != set(b):
            return f"{where or '<top>'}: keys differ ({sorted(set(a) ^ set(b))[:5]})"
        for key in sorted(a):
            found = first_difference(a[key], b[key], digits, f"{where}.{key}" if where else str(key))
            if found:
                return found
        return None
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return f"{where or '<top>'}: length {len(a)} != {len(b)}"
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            found = first_difference(x, y, digits, f"{where}[{i}]")
            if found:
                return found
        return None
    numeric = (int, float)
    if isinstance(a, numeric) and isinstance(b, numeric) and not isinstance(a, bool) and not isinstance(b, bool):
        return None if numbers_close(float(a), float(b), digits) else f"{where}: {a!r} != {b!r}"
    return None if a == b else f"{where}: {str(a)[:60]!r} != {str(b)[:60]!r}"
