"""Autonomous fault handling: what the MES does by itself when the plant is disturbed.

Four policies, each switched and tuned in :class:`~taktline.ops.settings.PolicySettings`;
every decision (and every "no action") is a :class:`Decision` with its reason, which the
service writes to the audit log:

1. **Degraded mode** - a failure at a station whose largest group of process robots of
   one type has at least ``min_redundant_robots``: the others take over the failed
   robot's work. The station stands still only for the switch-over
   (``switchover_s``), then runs at ``n / (n - 1)`` times its cycle until the robot is
   repaired (the failure's own repair time). Otherwise the station waits for the repair.
2. **Re-routing** - a failure inside one of several parallel branches (chains of
   stations between one split buffer and one merge buffer): the entry station of that
   branch is held, so every vehicle goes to the other branches, until the branch is up.
   Not when every other branch is impaired too.
3. **WIP cap** - no vehicle is released while the vehicles in the plant reach
   ``wip_cap`` (default: 60 % of the places on the vehicle path); release resumes below.
4. **Re-sequencing around an impaired option station** - while an option station is
   down or degraded, unreleased orders with that option move behind the others (outside
   the frozen horizon); when it recovers, the queue is sequenced normally again.

Holds are counted per reason, so a policy never releases a station an admin stopped;
an admin's start lifts every hold of that station (and says so).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from taktline.ops.driver import Command, Fault, FaultResponse, PlantEvent
from taktline.ops.settings import PolicySettings
from taktline.ops.topology import Topology

__all__ = ["Decision", "Policies", "default_wip_cap"]

ADMIN = "admin"


@dataclass(frozen=True, slots=True)
class Decision:
    """One decision of the MES: what, about what, and why."""

    action: str
    subject: str
    reason: str
    data: dict[str, Any] = field(default_factory=dict)
    actor: str = "mes"


def default_wip_cap(topo: Topology) -> int:
    """60 % of the places vehicles can occupy (buffer places and station servers)."""
    plant = topo.plant
    places = sum(plant.buffer(b).capacity or 0 for b in topo.vehicle_buffers)
    places += sum(plant.station(s).servers for s in topo.vehicle_stations)
    return max(1, int(0.6 * places))


class Policies:
    """The state and the rules of the fault policies (see the module docstring)."""

    def __init__(self, settings: PolicySettings, topo: Topology) -> None:
        self.cfg = settings
        self.topo = topo
        self.wip_cap = settings.wip_cap or default_wip_cap(topo)
        self.decisions: list[Decision] = []
        self.holds: dict[str, set[str]] = {}
        self.down: dict[str, set[str]] = {}
        self.degraded: set[str] = set()
        self.impaired_options: dict[str, str] = {}
        self.release_held = False
        self.resequence = False
        self._faults: dict[str, int] = {}

    def decide(self, action: str, subject: str, reason: str, **data: Any) -> None:
        self.decisions.append(Decision(action, subject, reason, data))

    def take_decisions(self) -> list[Decision]:
        out, self.decisions = self.decisions, []
        return out

    # -- 1. degraded mode (asked by the driver at the failure onset) ------------------------
    def on_fault(self, fault: Fault) -> FaultResponse | None:
        st = fault.station
        group = self.topo.groups.get(st)
        what = f"{fault.cause} at {st}"
        if not self.cfg.degraded_mode:
            self.decide("wait_repair", st, f"{what}: degraded mode is switched off")
            return None
        if group is None or group.count < self.cfg.min_redundant_robots:
            have = f"{group.count} {group.type} robot(s)" if group else "no process robots"
            self.decide("wait_repair", st, f"{what}: no redundant robot ({have}, degraded "
                        f"mode needs {self.cfg.min_redundant_robots})")
            return None
        if st in self.degraded:
            self.decide("wait_repair", st, f"{what}: already degraded, no second stand-in")
            return None
        n = group.count
        k = self._faults.get(st, 0)
        self._faults[st] = k + 1
        robot = group.robots[k % n]
        factor = n / (n - 1)
        self.decide("degrade", st,
                    f"{what}: {n - 1} of {n} {group.type} robots take the work of {robot}; "
                    f"cycle x{factor:.2f} after a {self.cfg.switchover_s:g} s switch-over "
                    f"instead of standing for the repair (mean {fault.expected_repair_s:.0f} s)",
                    robot=robot, factor=factor, cause=fault.cause)
        return FaultResponse(robot, factor, self.cfg.switchover_s)

    # -- 2. and 4.: events --------------------------------------------------------------------
    def on_events(self, events: Sequence[PlantEvent]) -> list[tuple[str, Command]]:
        """Update the policy state from plant events; the commands to send."""
        commands: list[tuple[str, Command]] = []
        for e in events:
            st = e.station
            if st is None or e.data.get("planned", False):
                continue
            if e.kind == "down":
                self.down.setdefault(st, set()).add(str(e.data.get("cause")))
                commands += self._reroute(st, str(e.data.get("cause")))
                self._option_impaired(st, "down")
            elif e.kind == "up":
                causes = self.down.get(st, set())
                causes.discard(str(e.data.get("cause")))
                if not causes:
                    self.down.pop(st, None)
                    commands += self._reroute_end(st)
                    self._option_restored(st)
            elif e.kind == "degraded":
                self.degraded.add(st)
                self._option_impaired(st, "degraded")
            elif e.kind == "recovered":
                self.degraded.discard(st)
                self._option_restored(st)
        return commands

    def _impaired(self, st: str) -> bool:
        return st in self.down or st in self.degraded or bool(self.holds.get(st))

    def _reroute(self, st: str, cause: str) -> list[tuple[str, Command]]:
        branch = self.topo.branches.get(st)
        if branch is None or not self.cfg.reroute:
            return []
        reason = f"reroute:{branch.entry}"
        if st == branch.entry:
            self.decide("reroute", st, f"{cause} at {st}, the entry of a parallel branch: "
                        "it takes no vehicles while down, the other branches take them all")
            return []
        healthy = [b for b in branch.siblings if not any(self._impaired(x) for x in b)]
        if not healthy:
            self.decide("no_reroute", st, f"{cause} at {st}: every parallel branch from "
                        f"{branch.split} is impaired, vehicles keep their routes")
            return []
        self.decide("reroute", branch.entry,
                    f"{cause} at {st}: hold {branch.entry} so vehicles from {branch.split} "
                    f"go to {', '.join(b[0] for b in healthy)} until {st} is up",
                    station=st, split=branch.split)
        return self.hold(branch.entry, reason)

    def _reroute_end(self, st: str) -> list[tuple[str, Command]]:
        branch = self.topo.branches.get(st)
        if branch is None or st == branch.entry:
            return []
        reason = f"reroute:{branch.entry}"
        if reason not in self.holds.get(branch.entry, set()):
            return []
        if any(x in self.down for x in branch.stations):
            return []
        self.decide("reroute_end", branch.entry, f"{st} is up: {branch.entry} takes "
                    f"vehicles from {branch.split} again")
        return self.release(branch.entry, reason)

    def _option_impaired(self, st: str, how: str) -> None:
        option = self.topo.option_stations.get(st)
        if option is None or not self.cfg.resequence_options or option in self.impaired_options:
            return
        self.impaired_options[option] = st
        self.resequence = True
        self.decide("resequence", st, f"option station {st} ({option}) is {how}: unreleased "
                    f"orders with {option} move behind the others (outside the frozen horizon)",
                    option=option)

    def _option_restored(self, st: str) -> None:
        option = self.topo.option_stations.get(st)
        if option is None or self.impaired_options.get(option) != st:
            return
        if st in self.down or st in self.degraded:
            return
        del self.impaired_options[option]
        self.resequence = True
        self.decide("resequence", st, f"option station {st} ({option}) runs again: the "
                    "queue is sequenced normally", option=option)

    # -- holds ---------------------------------------------------------------------------------
    def hold(self, station: str, reason: str) -> list[tuple[str, Command]]:
        reasons = self.holds.setdefault(station, set())
        first = not reasons
        reasons.add(reason)
        return [(station, "stop")] if first else []

    def release(self, station: str, reason: str) -> list[tuple[str, Command]]:
        reasons = self.holds.get(station, set())
        if reason not in reasons:
            return []
        reasons.discard(reason)
        return [] if reasons else [(station, "start")]

    def admin(self, station: str, action: Command, who: str) -> list[tuple[str, Command]]:
        """An admin's command, merged with the policy holds."""
        if action == "stop":
            return self.hold(station, ADMIN)
        lifted = sorted(self.holds.pop(station, set()) - {ADMIN})
        if lifted:
            self.decisions.append(Decision("lift_holds", station, f"{who} {action}s "
                                           f"{station}: policy holds {', '.join(lifted)} are "
                                           "lifted", {"holds": lifted}, actor=who))
        return [(station, action)]

    # -- 3. WIP cap ------------------------------------------------------------------------------
    def release_allowed(self, wip: int) -> bool:
        if wip >= self.wip_cap:
            if not self.release_held:
                self.release_held = True
                self.decide("hold_release", "release", f"WIP {wip} reached the cap "
                            f"{self.wip_cap}: no vehicle is released", wip=wip, cap=self.wip_cap)
            return False
        if self.release_held:
            self.release_held = False
            self.decide("resume_release", "release", f"WIP {wip} is below the cap "
                        f"{self.wip_cap}: release resumes", wip=wip, cap=self.wip_cap)
        return True
