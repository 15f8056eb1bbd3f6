"""Build a runnable model of a validated :class:`Plant`: stations wired to buffers,
sources, sinks, AGV fleets and the shift calendar, each drawing from its own named
random stream."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from taktline.plan.dispatch import PathNetwork
from taktline.plant.orders import Order
from taktline.plant.schema import PartSource, Plant, VehicleSource
from taktline.plant.schema import Station as StationSpec
from taktline.sim.agv import AgvFleet, MoveLink
from taktline.sim.buffer import Buffer, Item
from taktline.sim.calendar import MaintenanceWindow
from taktline.sim.failure import FailureMode
from taktline.sim.kernel import Kernel
from taktline.sim.random import Sampler, Streams
from taktline.sim.records import RecordLog
from taktline.sim.reserved import ReservedRouting, reserve_routes
from taktline.sim.source import PartFeed, Release, Sink
from taktline.sim.station import OptionCheck, Station

__all__ = ["Maker", "MixMaker", "Model", "OrderMaker", "PartMaker"]


class Model:
    """Every runtime object of one simulation run of a plant."""

    def __init__(
        self,
        plant: Plant,
        seed: int,
        orders: list[Order] | None = None,
        record_buffers: bool = False,
    ) -> None:
        self.plant = plant
        self.kernel = Kernel()
        self.streams = Streams(seed)
        p = plant.products
        self.variants = [v.id for v in p.variants]
        models = sorted({v.model or v.id for v in p.variants})
        self.variant_model = [models.index(v.model or v.id) for v in p.variants]
        self.models = models
        self.colours = [c.id for c in p.colours]
        self.options = [o.id for o in p.options]
        self.log = RecordLog(
            stations=[s.id for s in plant.stations],
            buffers=[b.id for b in plant.buffers],
            variants=self.variants,
            colours=self.colours,
            options=self.options,
            fleets=[f.id for f in plant.fleets],
        )
        self._serial = 0
        self._vehicle = 0
        self.buffers = {b.id: Buffer(self.kernel, i, b.id, b.capacity, b.transit)
                        for i, b in enumerate(plant.buffers)}
        if record_buffers:
            app = self.log.table("buffer").appender()
            for buf in self.buffers.values():
                buf.record_levels(app)
        self.stations = {s.id: self._station(i, s) for i, s in enumerate(plant.stations)}
        self.releases: list[Release] = []
        self.feeds: list[PartFeed] = []
        self._sources(orders)
        self._initial_stock()
        dispatch = self.log.table("dispatch").appender()
        self.sinks = [Sink(self.kernel, self.log.intern(s.id), self.buffers[s.from_], dispatch)
                      for s in plant.sinks]
        self.routing: dict[str, ReservedRouting] = {}
        """Reserved routing of the fleets that use it, by fleet id (docs/fleet.md)."""
        self.fleets = [self._fleet(i) for i in range(len(plant.fleets))]
        self.windows = self._windows()

    # -- items -----------------------------------------------------------------------
    def new_part(self, part: int) -> Item:
        self._serial += 1
        return Item(self._serial, part)

    def vehicle_item(self, variant: int, colour: int, options: int, order: str | None) -> Item:
        self._serial += 1
        vid = self._vehicle
        self._vehicle += 1
        self.log.orders.append(order if order is not None else f"V{vid + 1:07d}")
        return Item(self._serial, self._body, vid, variant, self.variant_model[variant],
                    colour, options)

    # -- stations ----------------------------------------------------------------------
    def _station(self, idx: int, spec: StationSpec) -> Station:
        st = Station(self.kernel, idx, spec.id, spec.servers)
        log = self.log
        st.new_item = self.new_part
        st.cycle = self._cycle_samplers(spec)
        st.produces = log.intern(spec.produces) if spec.produces else -1
        st.lot_size = spec.lot_size
        st.route = spec.route
        st.wire([(self.buffers[i.buffer], i.qty) for i in spec.inputs],
                [self.buffers[o.buffer] for o in spec.outputs])
        st.out_part = {log.intern(o.part): j for j, o in enumerate(spec.outputs) if o.part}
        if spec.setup is not None:
            st.setup_attr = spec.setup.on if spec.setup.on != "colour" else "colour"
            st.setup_time = self.streams.sampler(f"{spec.id}/setup", spec.setup.time)
            st.rec_setup = self._setup_recorder(spec.setup.on, idx)
            if spec.setup.max_batch is not None:
                st.max_batch = spec.setup.max_batch
        if spec.option is not None:
            o = spec.option
            st.option = OptionCheck(self.options.index(o.option), o.max, o.window, o.slowdown)
        if spec.quality is not None:
            st.fpy = spec.quality.first_pass_yield
            st.quality = self.streams.uniform(f"{spec.id}/quality")
            if spec.quality.reject_to:
                st.reject = self.buffers[spec.quality.reject_to]
        for f in spec.failures:
            mode = FailureMode(
                cause=log.intern(f.name),
                operating=f.basis == "operating",
                ttf=self.streams.sampler(f"{spec.id}/failure/{f.name}/ttf", f.ttf),
                ttr=self.streams.sampler(f"{spec.id}/failure/{f.name}/ttr", f.ttr),
            )
            (st.op_modes if mode.operating else st.cal_modes).append(mode)
        st.rec_state = log.states[idx].appender()
        st.rec_op = log.ops[idx].appender()
        st.rec_overload = log.table("overload").appender()
        st.rec_down = log.table("downtime").appender()
        st.rec_join = log.table("join").appender()
        return st

    def _cycle_samplers(self, spec: StationSpec) -> list[Sampler]:
        cycle = spec.cycle
        if not isinstance(cycle, dict):
            one = self.streams.sampler(f"{spec.id}/cycle", cycle)
            return [one] * (len(self.variants) + 1)
        made: dict[str, Sampler] = {}

        def get(key: str) -> Sampler:
            if key not in made:
                made[key] = self.streams.sampler(f"{spec.id}/cycle/{key}", cycle[key])
            return made[key]

        out = []
        for v, model in zip(self.variants, self.variant_model, strict=True):
            name = self.models[model]
            key = v if v in cycle else name if name in cycle else "default"
            out.append(get(key))
        out.append(get("default" if "default" in cycle else next(iter(cycle))))
        return out

    def _setup_recorder(self, on: str, idx: int) -> Callable[..., None]:
        names = {"colour": self.colours, "variant": self.variants, "model": self.models}.get(on)
        app = self.log.table("setup").appender()
        log = self.log

        def name(code: int) -> int:
            if code < 0:
                return log.intern("-")
            return log.intern(names[code]) if names is not None else code  # part: interned

        return lambda t, s, d, a, b: app(t, s, d, name(a), name(b))

    # -- sources -----------------------------------------------------------------------
    def _sources(self, orders: list[Order] | None) -> None:
        release = self.log.table("release").appender()
        first_vehicles = True
        self._body = self.log.intern("body")
        for src in self.plant.sources:
            buf = self.buffers[src.to]
            if isinstance(src, VehicleSource):
                self._body = self.log.intern(src.part)
                make = self._vehicle_maker(src, orders if first_vehicles else None)
                first_vehicles = False
                interval = self._maybe(f"source/{src.id}/interval", src.interval)

                def rec(it: Item, _r: Any = release, _k: Kernel = self.kernel) -> None:
                    _r(_k.now, it.vehicle, it.variant, it.colour, it.options)

                self.releases.append(Release(self.kernel, buf, make, interval, rec))
            else:
                self._part_source(src, buf)

    def _part_source(self, src: PartSource, buf: Buffer) -> None:
        make = PartMaker(self, self.log.intern(src.part))
        if src.call_off is not None:
            feed = PartFeed(self.kernel, buf, make,
                            self.streams.sampler(f"feed/{src.id}/lead_time", src.lead_time))
            self.stations[src.call_off].on_finish.append(feed.call_off)
            self.feeds.append(feed)
        else:
            interval = self._maybe(f"feed/{src.id}/interval", src.interval)
            self.releases.append(Release(self.kernel, buf, make, interval))

    def _maybe(self, name: str, dist: Any) -> Sampler | None:
        return None if dist is None else self.streams.sampler(name, dist)

    def _vehicle_maker(self, src: VehicleSource, orders: list[Order] | None) -> Maker:
        if orders is not None:
            return OrderMaker(self, orders)
        return self._mix_maker(src)

    def _mix_maker(self, src: VehicleSource) -> MixMaker:
        p = self.plant.products
        return MixMaker(
            self,
            u_var=self.streams.uniform(f"source/{src.id}/variant"),
            u_col=self.streams.uniform(f"source/{src.id}/colour"),
            u_opt=[self.streams.uniform(f"source/{src.id}/option/{o.id}") for o in p.options],
            rates=[o.take_rate for o in p.options],
            vcum=_cumulative([v.share for v in p.variants]),
            ccum=_cumulative([c.share for c in p.colours]),
        )

    def _initial_stock(self) -> None:
        fed = {s.to: s.part for s in self.plant.sources if isinstance(s, PartSource)}
        for spec in self.plant.buffers:
            part = self.log.intern(fed.get(spec.id, "part"))
            for _ in range(spec.initial):
                self.buffers[spec.id].put(self.new_part(part))

    # -- fleets and calendar -------------------------------------------------------------
    def _fleet(self, idx: int) -> AgvFleet:
        spec = self.plant.fleets[idx]
        net = PathNetwork.from_fleet(spec)
        nodes = list(net.ids)
        fleet = AgvFleet(
            self.kernel, idx, spec.size, net.home, net.dist.tolist(), spec.speed,
            self.streams.sampler(f"fleet/{spec.id}/load", spec.load),
            self.streams.sampler(f"fleet/{spec.id}/unload", spec.unload),
            self.log.table("agv").appender(), self.log.table("transport").appender(),
        )
        for m, mv in enumerate(spec.moves):
            src, dst = self.buffers[mv.from_], self.buffers[mv.to]
            node_of = {b.id: b.node for b in self.plant.buffers}
            fleet.moves.append(MoveLink(fleet, m, src, dst, nodes.index(node_of[mv.from_] or ""),
                                        nodes.index(node_of[mv.to] or "")))
        if spec.routing == "reserved":
            self.routing[spec.id] = reserve_routes(fleet, net, gap=spec.gap_s)
        return fleet

    def _windows(self) -> list[MaintenanceWindow]:
        out = []
        for w in self.plant.calendar.maintenance:
            chosen = [st for sid, st in self.stations.items()
                      if (w.stations is None and w.shops is None)
                      or (w.stations is not None and sid in w.stations)
                      or (w.shops is not None and self.plant.station(sid).shop in w.shops)]
            out.append(MaintenanceWindow(self.kernel, self.log.intern(w.name), w.start,
                                         w.duration, w.every, chosen))
        return out

    # -- running -----------------------------------------------------------------------
    def begin(self) -> None:
        """Arm every component at time 0, in a fixed order."""
        for st in self.stations.values():
            st.begin()
        for rel in self.releases:
            rel.begin()
        for sink in self.sinks:
            sink.begin()
        for fleet in self.fleets:
            fleet.begin()
        for win in self.windows:
            win.begin()

    def finish(self, horizon: float = math.inf) -> None:
        """Close the records at the end of the run (stops still going on get NaN ends)."""
        down = self.log.table("downtime").appender()
        for st in self.stations.values():
            for since, cause, planned in st.open_downtimes():
                down(since, math.nan, st.idx, cause, planned)
        self.record_routes(horizon)

    def record_routes(self, horizon: float) -> None:
        """The reserved fleets' routes, as ``visit`` records (both engines)."""
        for routing in self.routing.values():
            routing.record(self.log, horizon)

    @property
    def wip(self) -> int:
        """Vehicles released and not yet dispatched."""
        return len(self.log.table("release")) - len(self.log.table("dispatch"))


def _cumulative(shares: list[float]) -> list[float]:
    total = sum(shares)
    acc, out = 0.0, []
    for s in shares:
        acc += s / total
        out.append(acc)
    out[-1] = 1.0
    return out


def _pick(cum: list[float], u: float) -> int:
    for i, c in enumerate(cum):
        if u < c:
            return i
    return len(cum) - 1



class PartMaker:
    """Makes parts of one kind (a supplier feed, raw material)."""

    def __init__(self, model: Model, part: int) -> None:
        self.model = model
        self.part = part

    def __call__(self) -> Item:
        return self.model.new_part(self.part)


class OrderMaker:
    """Makes vehicles from a sequence of orders, in order; None at its end."""

    def __init__(self, model: Model, orders: list[Order]) -> None:
        self.model = model
        self.orders = orders
        self.next = 0
        self.vidx = {v: i for i, v in enumerate(model.variants)}
        self.cidx = {c: i for i, c in enumerate(model.colours)}
        self.oidx = {o: i for i, o in enumerate(model.options)}

    def codes(self, pos: int) -> tuple[int, int, int]:
        """(variant, colour, option mask) of the order at ``pos``."""
        o = self.orders[pos]
        mask = sum(1 << self.oidx[x] for x in o.options)
        return self.vidx[o.variant], self.cidx[o.colour], mask

    def __call__(self) -> Item | None:
        pos = self.next
        if pos >= len(self.orders):
            return None
        self.next = pos + 1
        variant, colour, mask = self.codes(pos)
        return self.model.vehicle_item(variant, colour, mask, self.orders[pos].order_id)


class MixMaker:
    """Makes vehicles drawn from the product mix (variant, colour, each option)."""

    def __init__(self, model: Model, *, u_var: Sampler, u_col: Sampler, u_opt: list[Sampler],
                 rates: list[float], vcum: list[float], ccum: list[float]) -> None:
        self.model = model
        self.u_var = u_var
        self.u_col = u_col
        self.u_opt = u_opt
        self.rates = rates
        self.vcum = vcum
        self.ccum = ccum

    def __call__(self) -> Item | None:
        variant = _pick(self.vcum, self.u_var())
        colour = _pick(self.ccum, self.u_col())
        mask = 0
        for i, (u, rate) in enumerate(zip(self.u_opt, self.rates, strict=True)):
            if u() < rate:
                mask |= 1 << i
        return self.model.vehicle_item(variant, colour, mask, None)


Maker = OrderMaker | MixMaker | PartMaker
"""What a source calls to make its next item."""
