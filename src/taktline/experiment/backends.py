"""Where tasks run: in this process, a local process pool, or Dask distributed.

Every backend runs the same pure function (:func:`taktline.experiment.tasks.run_task`)
on the same task, so the results are the same on each; only the order in which they
finish differs, and the runner puts them back in order.
"""

from __future__ import annotations

import importlib
import logging
import multiprocessing
import os
import uuid
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from typing import Any, Protocol

from taktline.errors import InputError
from taktline.experiment.tasks import Task, run_task

__all__ = ["Backend", "DaskBackend", "PoolBackend", "SerialBackend", "default_workers",
           "open_backend", "prime_engine"]


class Backend(Protocol):
    """Runs tasks and yields their summaries as they finish."""

    name: str
    workers: int

    def map(self, tasks: Sequence[Task]) -> Iterator[dict[str, Any]]: ...


def default_workers() -> int:
    """The CPUs this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def prime_engine() -> None:
    """Run the twin once for a minute of the smallest plant in this process, so a
    compiled engine is compiled here once (and cached on disk) instead of in every
    worker at the same time; workers then load it from the cache."""
    from taktline.plant.load import load_plant
    from taktline.sim.run import run_twin

    run_twin(load_plant("single_station"), horizon_s=60.0)


class SerialBackend:
    """Runs every task in the calling process, one after the other."""

    name = "serial"
    workers = 1

    def map(self, tasks: Sequence[Task]) -> Iterator[dict[str, Any]]:
        for task in tasks:
            yield run_task(task)


class PoolBackend:
    """A local pool of worker processes (started by a fork server: no inherited threads)."""

    name = "local"

    def __init__(self, workers: int) -> None:
        self.workers = workers
        prime_engine()
        ctx = multiprocessing.get_context("forkserver")
        # the fork server imports the twin once; every worker forks from it ready to run
        ctx.set_forkserver_preload(["taktline.experiment.tasks"])
        self._pool = ProcessPoolExecutor(max_workers=workers, mp_context=ctx)

    def map(self, tasks: Sequence[Task]) -> Iterator[dict[str, Any]]:
        futures: list[Future[dict[str, Any]]] = [self._pool.submit(run_task, t) for t in tasks]
        try:
            for fut in as_completed(futures):
                yield fut.result()
        finally:
            for fut in futures:
                fut.cancel()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


class DaskBackend:
    """Dask distributed: a scheduler at ``address``, or a LocalCluster for ``"local"``."""

    name = "dask"

    def __init__(self, address: str, workers: int) -> None:
        try:
            dist: Any = importlib.import_module("distributed")
        except ImportError as exc:  # pragma: no cover - the experiment extra is missing
            raise InputError("Dask is not installed: pip install 'taktline[experiment]'") from exc
        self._cluster: Any = None
        self._client: Any
        if address == "local":
            prime_engine()
            self._cluster = dist.LocalCluster(
                n_workers=workers, threads_per_worker=1, processes=True,
                dashboard_address=None, silence_logs=logging.WARNING,
            )
            self._client = dist.Client(self._cluster)
        else:
            try:
                self._client = dist.Client(address, timeout=10)
            except OSError as exc:
                raise InputError(f"cannot reach the Dask scheduler at {address}: {exc}",
                                 field="--dask") from exc
        self.address = address
        self._completed = dist.as_completed
        self.workers = max(1, sum(
            w.get("nthreads", 1) for w in self._client.scheduler_info()["workers"].values()
        ))

    def map(self, tasks: Sequence[Task]) -> Iterator[dict[str, Any]]:
        # a fresh key per call: a task sent again must not meet the cancellation of
        # its earlier copy (Dask keys are global on the scheduler)
        token = uuid.uuid4().hex[:8]
        futures = self._client.map(run_task, list(tasks),
                                   key=[f"taktline-{t.key}-{token}" for t in tasks])
        try:
            for fut in self._completed(futures):
                yield fut.result()
        finally:
            pending = [f for f in futures if not f.done()]
            if pending:
                self._client.cancel(pending)

    def close(self) -> None:
        self._client.close()
        if self._cluster is not None:
            self._cluster.close()


@contextmanager
def open_backend(workers: int | None = None, dask: str | None = None) -> Iterator[Backend]:
    """The backend for these options: Dask if ``dask`` is given (an address or
    ``"local"``), else a local pool of ``workers`` processes (serial for 1)."""
    n = workers if workers is not None else default_workers()
    if n < 1:
        raise InputError(f"must be >= 1 (got {n})", field="--workers")
    backend: Backend
    if dask:
        backend = DaskBackend(dask, n)
    elif n == 1:
        backend = SerialBackend()
    else:
        backend = PoolBackend(n)
    try:
        yield backend
    finally:
        close = getattr(backend, "close", None)
        if close is not None:
            close()
