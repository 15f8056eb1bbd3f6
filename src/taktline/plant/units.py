"""Durations and ratios as plant engineers write them.

A duration is a number of seconds (``110``, ``4.5``) or a string with a unit:
``"30s"``, ``"5min"``, ``"8h"``, ``"2d"``, ``"1h30min"``. A ratio ``N/P`` is written
``"1/2"``.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BeforeValidator

_UNITS = {"s": 1.0, "sec": 1.0, "min": 60.0, "h": 3600.0, "d": 86400.0}
_PART = re.compile(r"\s*(\d+(?:\.\d*)?|\.\d+)\s*(s|sec|min|h|d)\s*")


def parse_duration(value: Any) -> Any:
    """Return seconds for a duration written as a number or a string with units.

    Values that are neither are passed through so pydantic reports the type error.
    """
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return float(value)
    if not isinstance(value, str):
        return value
    text = value.strip()
    try:
        return float(text)
    except ValueError:
        pass
    pos, total = 0, 0.0
    while pos < len(text):
        m = _PART.match(text, pos)
        if not m:
            raise ValueError(
                f"not a duration: {value!r} (write seconds, or e.g. '30s', '5min', '8h', '2d')"
            )
        total += float(m.group(1)) * _UNITS[m.group(2)]
        pos = m.end()
    if pos == 0:
        raise ValueError(f"not a duration: {value!r}")
    return total


Seconds = Annotated[float, BeforeValidator(parse_duration)]
"""A duration in seconds; accepts numbers and strings with units."""


def format_duration(seconds: float) -> str:
    """Render seconds as a short human string (``"2h 5min"``, ``"45.0 s"``)."""
    if seconds < 120:
        return f"{seconds:.1f} s"
    minutes = seconds / 60
    if minutes < 120:
        return f"{minutes:.1f} min"
    hours = minutes / 60
    if hours < 72:
        return f"{hours:.1f} h"
    return f"{hours / 24:.1f} d"
