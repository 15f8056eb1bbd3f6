"""Sequencing of the unreleased orders, with a frozen horizon.

The queue of accepted orders is released from its head. The first ``frozen`` orders
(the frozen horizon: parts for them are already called off just in sequence) never
move. The rest - at most ``max_orders`` - is sequenced as one car sequencing problem of
the plant (:func:`taktline.plan.sequencing.problem_from_orders`: option ratios of the
option stations, colour changes at the paint shop, the paint batch limit), continuing
from the vehicles just before it (the last released orders and the frozen ones are the
problem's fixed prefix), by the sequencing solver with a short time limit (in a worker
process, :class:`SolverProcess`) - or kept in arrival order (``method: arrival``).
While an option station is impaired, orders with its option then move behind the others
(stable), see :mod:`taktline.ops.policies`.
"""

from __future__ import annotations

import dataclasses
import multiprocessing
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess

from taktline.errors import TaktlineError
from taktline.ops.settings import SequencingSettings
from taktline.ops.store import orders as store_orders
from taktline.ops.store.db import Store
from taktline.ops.store.log import add_audit
from taktline.ops.store.models import OrderRow
from taktline.plan.sequencing import (
    SequenceProblem,
    evaluate,
    problem_from_orders,
    solve_sequence,
)
from taktline.plant.orders import Order
from taktline.plant.schema import Plant

__all__ = ["Plan", "QueuedOrder", "SolverProcess", "plan_sequence", "resequence_queue"]


@dataclass(frozen=True, slots=True)
class QueuedOrder:
    """An order in the queue (``pk``: its row id) as sequencing sees it."""

    pk: int
    order: Order


@dataclass(frozen=True, slots=True)
class Plan:
    """A new order of the movable part of the queue, and why."""

    pks: list[int]
    method: str
    reason: str
    before: int | None = None  # weighted total (problem objective) before and after
    after: int | None = None


def _problem(plant: Plant, orders: Sequence[Order], prefix: Sequence[Order]) -> SequenceProblem:
    problem = problem_from_orders(plant, orders, name="queue")
    if prefix:
        head = problem_from_orders(plant, prefix, name="prefix")
        problem = dataclasses.replace(problem, prefix_colours=head.colours,
                                      prefix_options=head.options)
    return problem


def plan_sequence(plant: Plant, cfg: SequencingSettings, free: Sequence[QueuedOrder],
                  prefix: Sequence[Order], impaired: dict[str, str]) -> Plan | None:
    """Sequence ``free`` (the movable orders, in queue order) after ``prefix``."""
    if len(free) < 2:
        return None
    orders = [q.order for q in free]
    idx = list(range(len(orders)))
    method: str = cfg.method
    before = after = None
    if method == "solver":
        try:
            problem = _problem(plant, orders, prefix[-50:])
            before = evaluate(problem, idx).total
            result = solve_sequence(problem, time_limit_s=cfg.time_limit_s, seed=1)
            if result.score.total < before:
                idx = [int(i) for i in result.order]
            after = min(before, result.score.total)
        except TaktlineError as exc:  # infeasible batch limit, ...: keep the queue order
            method = f"arrival ({exc})"
    else:
        idx.sort(key=lambda i: free[i].pk)
    reason = f"{len(free)} movable orders sequenced by {method}"
    if impaired:
        bad = set(impaired)
        idx.sort(key=lambda i: bool(bad.intersection(orders[i].options)))
        moved = sum(bool(bad.intersection(o.options)) for o in orders)
        reason += (f"; {moved} with {', '.join(sorted(bad))} moved behind the others while "
                   f"{', '.join(sorted(impaired.values()))} is impaired")
    return Plan([free[i].pk for i in idx], method, reason, before, after)


def _order(o: OrderRow) -> Order:
    return Order(o.order_id, o.variant, o.colour, store_orders.order_of(o))


class SolverProcess:
    """Runs :func:`plan_sequence` in one worker process (started on first use), so the
    solver's compiled search never holds the service's interpreter lock: the API keeps
    answering while it searches. :meth:`close` ends the worker at once, even mid-search
    (the queue then keeps its order until the next start)."""

    def __init__(self) -> None:
        self._proc: BaseProcess | None = None
        self._conn: Connection | None = None
        self._lock = threading.Lock()

    def plan(self, plant: Plant, cfg: SequencingSettings, free: Sequence[QueuedOrder],
             prefix: Sequence[Order], impaired: dict[str, str]) -> Plan | None:
        with self._lock:
            try:
                conn = self._start()
                conn.send((plant, cfg, list(free), list(prefix), impaired))
                status, value = conn.recv()
            except (EOFError, OSError):  # the worker died (or was closed): keep the order
                self._stop()
                status, value = "error", "the solver process ended"
        if status == "ok":
            return value  # type: ignore[no-any-return]
        return plan_sequence(plant, cfg.model_copy(update={"method": "arrival"}), free,
                             prefix, impaired)

    def _start(self) -> Connection:
        if self._proc is None or self._conn is None or not self._proc.is_alive():
            ctx = multiprocessing.get_context("spawn")
            here, there = ctx.Pipe()
            self._proc = ctx.Process(target=_solve_forever, args=(there,), daemon=True,
                                     name="taktline-sequencer")
            self._proc.start()
            there.close()
            self._conn = here
        return self._conn

    def _stop(self) -> None:
        proc, conn = self._proc, self._conn
        self._proc = self._conn = None
        if proc is not None:
            proc.terminate()
            proc.join(10)
        if conn is not None:
            conn.close()

    def close(self) -> None:
        self._stop()  # not under the lock: a search in progress is cut short


def _solve_forever(conn: Connection) -> None:
    """The worker process: plan what it is sent until the pipe closes."""
    while True:
        try:
            args = conn.recv()
        except EOFError:
            return
        try:
            conn.send(("ok", plan_sequence(*args)))
        except Exception as exc:  # the parent falls back to the queue order
            conn.send(("error", repr(exc)))


def resequence_queue(store: Store, plant: Plant, cfg: SequencingSettings,
                     impaired: dict[str, str], t: float,
                     solver: SolverProcess | None = None) -> int:
    """Sequence the movable part of the store's queue (reads, solves - in ``solver``'s
    process when given - then writes in one transaction only the orders still
    accepted); audited. Returns how many moved."""
    with store.read() as s:
        queue = store_orders.queue(s, cfg.frozen + cfg.max_orders)
        recent, _ = store_orders.list_orders(s, status="released", limit=50)
    frozen, free = queue[:cfg.frozen], queue[cfg.frozen:]
    prefix = [_order(o) for o in reversed(recent)] + [_order(o) for o in frozen]
    planner = solver.plan if solver is not None and cfg.method == "solver" else plan_sequence
    plan = planner(plant, cfg, [QueuedOrder(o.id, _order(o)) for o in free], prefix, impaired)
    if plan is None:
        return 0
    with store.tx() as s:
        moved = store_orders.apply_sequence(s, plan.pks)
        if moved or impaired:
            add_audit(s, t=t, now=datetime.now(UTC), actor="mes", action="sequence",
                      subject="queue", reason=f"{plan.reason}: {moved} moved, first "
                      f"{len(frozen)} frozen", data={"moved": moved, "before": plan.before,
                                                     "after": plan.after})
    return moved
