"""Keep numba's on-disk cache of the engine consistent with its sources.

Numba keys a cached function by its own source file only: when a function it calls,
in another file, changes, the cached caller still holds the old code. The engine's
functions call each other across files, so a change to any engine file must drop the
cached code of all of them. :func:`refresh` stamps the cache folder with a digest of
the engine's sources and clears the engine's entries when the digest differs.

:func:`compile_lock` lets one process at a time compile: processes that start together
(test workers, experiment workers) then compile once, and the others load the cache.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["compile_lock", "refresh", "source_digest"]

HERE = Path(__file__).resolve().parent
STAMP = "taktline-engine.stamp"
LOCK = "taktline-engine.lock"
PYTHON_ONLY = frozenset({"__init__", "cache", "driver", "lower", "plans", "tables"})
"""Modules of the engine that numba does not compile (their changes keep the cache)."""


def _compiled_sources() -> list[Path]:
    return sorted(p for p in HERE.glob("*.py") if p.stem not in PYTHON_ONLY)


def source_digest() -> str:
    """A digest of the source files of the compiled engine (and its constants)."""
    h = hashlib.blake2b(digest_size=16)
    for path in _compiled_sources():
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def refresh(cache_dir: Path) -> bool:
    """Drop the engine's cached functions in ``cache_dir`` if they were compiled from
    other sources than the current ones; True if it dropped anything."""
    digest = source_digest()
    stamp = cache_dir / STAMP
    try:
        if stamp.read_text() == digest:
            return False
    except OSError:
        pass
    modules = {p.stem for p in _compiled_sources()}
    dropped = False
    for entry in cache_dir.glob("*.nb[ic]"):
        if entry.name.split(".", 1)[0] in modules:
            entry.unlink(missing_ok=True)
            dropped = True
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        stamp.write_text(digest)
    except OSError:  # a read-only install: numba then uses its user-wide cache folder
        pass
    return dropped


@contextmanager
def compile_lock(cache_dir: Path) -> Iterator[None]:
    """Hold an exclusive lock on the cache folder while compiling (released when the
    process ends, whatever happens); no lock where the folder or ``fcntl`` is missing."""
    try:
        import fcntl

        cache_dir.mkdir(parents=True, exist_ok=True)
        handle = (cache_dir / LOCK).open("w")
    except (ImportError, OSError):
        yield
        return
    with handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
