"""The two ways the engine's functions are compiled.

``nopython``, cached on disk (``cache=True``: later processes load the machine code),
and without numba's reference counting (``_nrt=False``). The compiled code never
allocates: every array belongs to the driver and lives as long as the run. Reference
counting would only add two atomic operations per array per call; with the state held
in one tuple of arrays that made a call cost hundreds of nanoseconds instead of one.

Numba compiles every function into a library of its own and links in (and optimizes
and generates code again for) everything it calls, so a function high up the call
tree costs as much to compile as the whole tree below it. :func:`compiled` functions
are such libraries; :func:`inlined` ones are merged into their caller's code instead.
The event handlers high up the tree are inlined (each is called from one or two
places), and so are the tiny functions on the hot path (a call costs more than their
body); the hub every handler reaches (``station_wake``) and the mid-sized functions
below it stay compiled once. That balances a cold compile (~45 s on the project's
machine; numba's cache makes later processes load in a fraction of a second) against
the speed of the loop (every call passes the state's arrays as ~60 machine words).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

from numba import njit

__all__ = ["compiled", "inlined"]

F = TypeVar("F", bound=Callable[..., Any])


def compiled(fn: F) -> F:
    """Compile ``fn`` with numba (nopython, cached, no reference counting)."""
    return cast(F, cast(Any, njit)(cache=True, _nrt=False)(fn))


def inlined(fn: F) -> F:
    """Like :func:`compiled`, but merged into the code of every compiled caller."""
    return cast(F, cast(Any, njit)(cache=True, _nrt=False, inline="always")(fn))
