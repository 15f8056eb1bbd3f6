"""The one way the engine's functions are compiled.

``nopython``, cached on disk (``cache=True``: later processes load the machine code),
and without numba's reference counting (``_nrt=False``). The compiled code never
allocates: every array belongs to the driver and lives as long as the run. Reference
counting would only add two atomic operations per array per call; with the state held
in one tuple of arrays that made a call cost hundreds of nanoseconds instead of one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

from numba import njit

__all__ = ["compiled"]

F = TypeVar("F", bound=Callable[..., Any])


def compiled(fn: F) -> F:
    """Compile ``fn`` with numba (nopython, cached, no reference counting)."""
    return cast(F, cast(Any, njit)(cache=True, _nrt=False)(fn))
