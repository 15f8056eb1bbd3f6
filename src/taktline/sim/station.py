"""Stations: parallel servers that take items from input buffers, work on them and hand
them to output buffers, blocking after service when the output is full.

State of a server: idle, in setup, working, or blocked (holding a finished item). The
station's recorded state is the aggregate, in this precedence: failed, planned down,
setup, working (any server busy), blocked (any server holding an item), starved.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any

from taktline.sim.buffer import Buffer, Item
from taktline.sim.failure import FailureMode
from taktline.sim.kernel import LATE, Kernel
from taktline.sim.random import Sampler
from taktline.sim.records import State

__all__ = ["OptionCheck", "Server", "Station"]

IDLE, SETUP, WORK, BLOCKED = 0, 1, 2, 3


class Server:
    """One robot cell / machine place of a station."""

    __slots__ = ("end", "idx", "item", "left", "start", "state", "token", "work")

    def __init__(self, idx: int) -> None:
        self.idx = idx
        self.state = IDLE
        self.item: Item | None = None
        self.token = 0
        self.end = 0.0  # end of the current phase
        self.left = 0.0  # time left of the phase when preempted
        self.work = 0.0  # cycle time of the current item (after its setup)
        self.start = 0.0


class OptionCheck:
    """At most ``max_n`` of any ``window`` consecutive vehicles may carry the option."""

    __slots__ = ("bit", "history", "max_n", "option", "slowdown")

    def __init__(self, option: int, max_n: int, window: int, slowdown: float) -> None:
        self.option = option
        self.bit = 1 << option
        self.max_n = max_n
        self.slowdown = slowdown
        self.history: deque[bool] = deque(maxlen=max(window - 1, 0))

    def overloaded(self, options: int) -> bool:
        """Record the next vehicle; True if it carries the option one too many."""
        has = bool(options & self.bit)
        over = has and sum(self.history) + 1 > self.max_n
        if self.history.maxlen:
            self.history.append(has)
        return over


class Station:
    """A station of the plant, wired to its buffers by the model builder."""

    def __init__(self, kernel: Kernel, idx: int, ident: str, servers: int) -> None:
        self.kernel = kernel
        self.idx = idx
        self.id = ident
        self.servers = [Server(i) for i in range(servers)]
        self.inputs: list[tuple[Buffer, int]] = []
        self.outputs: list[Buffer] = []
        self.out_part: dict[int, int] = {}  # part -> output slot (route by_part)
        self.route = "first_free"
        self.rr = 0
        self.cycle: list[Sampler] = []  # by variant index; last entry is the default
        self.produces = -1  # part made from raw material / by a join of parts
        self.lot_size = 1
        self.lot_left = 0
        self.lot_part = -1
        self.setup_attr: str | None = None
        self.setup_time: Sampler | None = None
        self.family = -1
        self.batch = 0  # items of the current family in a row
        self.max_batch = 1 << 62
        self.option: OptionCheck | None = None
        self.fpy = 1.0
        self.quality: Sampler | None = None
        self.reject: Buffer | None = None
        self.op_modes: list[FailureMode] = []
        self.cal_modes: list[FailureMode] = []
        self.n_idle = servers
        self.n_busy = 0
        self.n_setup = 0
        self.n_blocked = 0
        self.n_failed = 0
        self.n_planned = 0
        self.planned_since = 0.0
        self.planned_cause = -1
        self.op_since = 0.0
        self.fail_token = 0
        self.state = -1
        self.multi = servers > 1  # record server counts, not just the aggregate state
        self.counts = (0, 0, 0)  # (working, setup, blocked) servers last recorded
        self.wait_flag: list[bool] = []
        self.block_flag: list[bool] = []
        self.on_finish: list[Callable[[Item], None]] = []
        self.new_item: Callable[[int], Item] = lambda part: Item(-1, part)
        # record appenders, set by the model builder
        self.rec_state: Any = None
        self.rec_op: Any = None
        self.rec_setup: Any = None
        self.rec_overload: Any = None
        self.rec_down: Any = None
        self.rec_join: Any = None

    # -- wiring ----------------------------------------------------------------------
    def wire(self, inputs: list[tuple[Buffer, int]], outputs: list[Buffer]) -> None:
        self.inputs = inputs
        self.outputs = outputs
        self.wait_flag = [False] * len(inputs)
        self.block_flag = [False] * (len(outputs) + 1)  # last slot: the reject buffer
        for buf, _ in inputs:
            buf.consumers.append(self)

    def begin(self) -> None:
        """Start of the run: record the first state, arm failures, look for work."""
        k = self.kernel
        for m in self.op_modes:
            m.left = m.next_ttf()
        for m in self.cal_modes:
            k.at(k.now + m.next_ttf(), self._fail_calendar, m, LATE)
        self._update_state()
        self.wake()

    # -- waking ----------------------------------------------------------------------
    def wake_input(self, slot: int) -> None:
        if slot >= 0:
            self.wait_flag[slot] = False
        self.wake()

    def wake_output(self, slot: int) -> None:
        self.block_flag[slot] = False
        self.wake()

    def can_take_now(self, buffer: Buffer) -> bool:
        if self.n_failed or self.n_planned or not self.n_idle:
            return False
        return all(b is buffer or b.ready() >= q for b, q in self.inputs)

    def wake(self) -> None:
        if self.n_failed or self.n_planned:
            return
        if self.n_blocked:
            self._unblock()
        while self.n_idle:
            item = self._take()
            if item is None:
                break
            for server in self.servers:
                if server.state == IDLE:
                    self.n_idle -= 1
                    self.n_busy += 1
                    if self.n_busy == 1:
                        self._op_start()
                    self._begin(server, item)
                    break
        self._update_state()

    def _unblock(self) -> None:
        for server in self.servers:
            if server.state == BLOCKED and server.item is not None and self._push(server.item):
                server.item = None
                server.state = IDLE
                self.n_blocked -= 1
                self.n_idle += 1

    # -- taking inputs ----------------------------------------------------------------
    def _take(self) -> Item | None:
        inputs = self.inputs
        if not inputs:
            return self.new_item(self._raw_part())
        if len(inputs) == 1:
            buf, qty = inputs[0]
            if qty == 1:
                if buf.ready():
                    return buf.take()
                if not self.wait_flag[0]:
                    self.wait_flag[0] = True
                    buf.wait_for_item(self, 0)
                return None
        for slot, (buf, qty) in enumerate(inputs):
            if buf.ready() < qty:
                if not self.wait_flag[slot]:
                    self.wait_flag[slot] = True
                    buf.wait_for_item(self, slot)
                return None
        taken = [buf.take() for buf, qty in inputs for _ in range(qty)]
        return self._join(taken)

    def _join(self, taken: list[Item]) -> Item:
        main = next((it for it in taken if it.vehicle >= 0), None)
        if main is None:
            main = self.new_item(self.produces) if self.produces >= 0 else taken[0]
        elif self.rec_join is not None:
            now = self.kernel.now
            for it in taken:
                if it is not main:
                    self.rec_join(now, self.idx, main.vehicle, it.part, it.serial)
        if any(not it.good for it in taken):
            main.good = False
        return main

    def _raw_part(self) -> int:
        if self.route != "by_part":
            return self.produces
        if self.lot_left <= 0:  # next lot: the part whose store is emptiest
            best, best_fill = -1, 2.0
            for part, slot in self.out_part.items():
                buf = self.outputs[slot]
                fill = buf.count / buf.capacity if buf.capacity else 0.0
                if fill < best_fill:
                    best, best_fill = part, fill
            self.lot_part = best
            self.lot_left = self.lot_size
        self.lot_left -= 1
        return self.lot_part

    # -- working ----------------------------------------------------------------------
    def _begin(self, server: Server, item: Item) -> None:
        """Start work on ``item`` (the server is already counted busy)."""
        k = self.kernel
        now = k.now
        server.item = item
        server.start = now
        cycle = self.cycle[item.variant]()
        if self.option is not None and item.vehicle >= 0 and self.option.overloaded(item.options):
            cycle *= self.option.slowdown
            self.rec_overload(now, self.idx, item.vehicle, self.option.option)
        server.work = cycle
        server.token += 1
        if self.setup_time is not None:
            fam = getattr(item, self.setup_attr)  # type: ignore[arg-type]
            self.batch += 1
            if fam != self.family or self.batch > self.max_batch:
                first = self.family < 0
                prev, self.family = self.family, fam
                self.batch = 1
                if not first:
                    dur = self.setup_time()
                    if dur > 0.0:
                        self.rec_setup(now, self.idx, dur, prev, fam)
                        server.state = SETUP
                        self.n_setup += 1
                        server.end = now + dur
                        k.at(server.end, self._setup_done, (server, server.token))
                        return
        server.state = WORK
        server.end = now + cycle
        k.at(server.end, self._done, (server, server.token))

    def _setup_done(self, arg: tuple[Server, int]) -> None:
        server, token = arg
        if server.token != token:
            return
        self.n_setup -= 1
        server.state = WORK
        server.end = self.kernel.now + server.work
        self.kernel.at(server.end, self._done, (server, token))
        self._update_state()

    def _done(self, arg: tuple[Server, int]) -> None:
        server, token = arg
        if server.token != token:
            return
        item = server.item
        assert item is not None
        now = self.kernel.now
        ok = 1
        if self.quality is not None and self.quality() >= self.fpy:
            ok = 0
            item.good = False
            item.rejected = self.reject is not None
        self.rec_op(server.start, now, item.vehicle, item.variant, ok)
        for fn in self.on_finish:
            fn(item)
        if self._push(item):
            server.item = None
            nxt = self._take()
            if nxt is not None:  # stays busy: the busy period goes on
                self._begin(server, nxt)
                if self.n_setup:
                    self._update_state()
                return
            server.state = IDLE
            self.n_idle += 1
        else:
            server.state = BLOCKED
            self.n_blocked += 1
        self.n_busy -= 1
        if self.n_busy == 0:
            self._op_stop()
        self._update_state()

    # -- handing over -----------------------------------------------------------------
    def _push(self, item: Item) -> bool:
        """Hand ``item`` to an output; False (and wait for space) when none has room."""
        outputs = self.outputs
        if item.rejected and self.reject is not None:  # failed this station's check
            if self._push_to(item, self.reject, len(outputs)):
                item.rejected = False
                return True
            return False
        if len(outputs) == 1:
            return self._push_to(item, outputs[0], 0)
        route = self.route
        if route == "by_part":
            slot = self.out_part[item.part]
            return self._push_to(item, outputs[slot], slot)
        n = len(outputs)
        order = list(range(n))
        if route == "round_robin":
            order = [(self.rr + i) % n for i in range(n)]
        elif route == "shortest":
            order.sort(key=lambda i: outputs[i].count)
        for slot in order:
            if outputs[slot].has_space():
                outputs[slot].put(item)
                self.rr = (slot + 1) % n
                return True
        for slot in order:
            if not self.block_flag[slot]:
                self.block_flag[slot] = True
                outputs[slot].wait_for_space(self, slot)
        return False

    def _push_to(self, item: Item, buf: Buffer, slot: int) -> bool:
        if buf.has_space():
            buf.put(item)
            return True
        if not self.block_flag[slot]:
            self.block_flag[slot] = True
            buf.wait_for_space(self, slot)
        return False

    # -- state ------------------------------------------------------------------------
    def _update_state(self) -> None:
        if self.n_failed:
            code = State.FAILED
        elif self.n_planned:
            code = State.PLANNED
        elif self.n_setup:
            code = State.SETUP
        elif self.n_busy:
            code = State.WORKING
        elif self.n_blocked:
            code = State.BLOCKED
        else:
            code = State.STARVED
        working = self.n_busy - self.n_setup
        if code != self.state or (
            self.multi
            and (working, self.n_setup, self.n_blocked) != self.counts
        ):
            self.state = code
            self.counts = (working, self.n_setup, self.n_blocked)
            self.rec_state(self.kernel.now, code, working, self.n_setup, self.n_blocked)

    # -- failures and planned stops ----------------------------------------------------
    def _op_start(self) -> None:
        """A busy period begins: operating-basis modes age from now."""
        if not self.op_modes:
            return
        now = self.kernel.now
        self.op_since = now
        self.fail_token += 1
        first = min(self.op_modes, key=lambda m: m.left)
        self.kernel.at(now + first.left, self._fail_operating, (first, self.fail_token), LATE)

    def _op_stop(self) -> None:
        """A busy period ends: operating-basis modes stop ageing."""
        if not self.op_modes:
            return
        elapsed = self.kernel.now - self.op_since
        for m in self.op_modes:
            m.left -= elapsed
        self.fail_token += 1

    def _fail_operating(self, arg: tuple[FailureMode, int]) -> None:
        mode, token = arg
        if token != self.fail_token:
            return
        self._go_down(mode)  # stops the ageing of every operating-basis mode
        mode.left = 0.0

    def _fail_calendar(self, mode: FailureMode) -> None:
        self._go_down(mode)

    def _go_down(self, mode: FailureMode) -> None:
        now = self.kernel.now
        if not (self.n_failed or self.n_planned):
            self._preempt()
        self.n_failed += 1
        mode.down = True
        mode.since = now
        self.kernel.at(now + mode.ttr(), self._repaired, mode)
        self._update_state()

    def _repaired(self, mode: FailureMode) -> None:
        k = self.kernel
        now = k.now
        mode.down = False
        self.n_failed -= 1
        self.rec_down(mode.since, now, self.idx, mode.cause, 0)
        if mode.operating:
            mode.left = mode.next_ttf()
        else:
            k.at(now + mode.next_ttf(), self._fail_calendar, mode, LATE)
        if not (self.n_failed or self.n_planned):
            self._resume()
        else:
            self._update_state()

    def plan_down(self, cause: int) -> None:
        """A planned stop begins (maintenance window)."""
        if not (self.n_failed or self.n_planned):
            self._preempt()
        if not self.n_planned:
            self.planned_since = self.kernel.now
            self.planned_cause = cause
        self.n_planned += 1
        self._update_state()

    def plan_up(self, cause: int) -> None:
        """A planned stop ends."""
        self.n_planned -= 1
        if not self.n_planned:
            now = self.kernel.now
            self.rec_down(self.planned_since, now, self.idx, self.planned_cause, 1)
        if not (self.n_failed or self.n_planned):
            self._resume()
        else:
            self._update_state()

    def _preempt(self) -> None:
        now = self.kernel.now
        if self.n_busy and self.op_modes:
            self._op_stop()
        for s in self.servers:
            if s.state in (SETUP, WORK):
                s.left = s.end - now
                s.token += 1

    def _resume(self) -> None:
        k = self.kernel
        now = k.now
        for s in self.servers:
            if s.state in (SETUP, WORK):
                s.end = now + s.left
                s.token += 1
                k.at(s.end, self._setup_done if s.state == SETUP else self._done, (s, s.token))
        if self.n_busy:
            self._op_start()
        self._update_state()
        self.wake()

    def open_downtimes(self) -> list[tuple[float, int, int]]:
        """(start, cause, planned) of stops still going on (for the end of the run)."""
        out = [(m.since, m.cause, 0) for m in (*self.op_modes, *self.cal_modes) if m.down]
        if self.n_planned:
            out.append((self.planned_since, self.planned_cause, 1))
        return out
