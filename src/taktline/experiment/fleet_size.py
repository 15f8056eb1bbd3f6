"""Fleet sizing: the smallest AGV fleet that holds the plant's designed takt.

Every size from ``min`` to ``max`` is a scenario of one experiment (factor
``fleets.<id>.size``), run for ``replications`` replications of ``days`` measured days
after the warm-up, with the same seeds in every scenario (common random numbers). The
design rate is ``3600 / takt`` vehicles per hour. **Rule:** a size holds the takt when
the lower end of the 95 % confidence interval of its throughput (JPH) is at least
``attainment`` x the design rate; the answer is the smallest size that holds it and
every larger size in the range holds it too (so one lucky size below a failing one does
not count). If the plant's line cannot reach the rate with any fleet (failures), no
size qualifies and the answer is None; the table shows how close each size got.
"""

from __future__ import annotations

from dataclasses import dataclass

from taktline.analysis.stats import Interval
from taktline.errors import ScenarioError
from taktline.experiment.design import Experiment, Scenario
from taktline.experiment.factors import apply_values, resolve_path
from taktline.experiment.runner import Progress, run_experiment
from taktline.experiment.spec import RunLength, ScenarioFile, SeedSpec
from taktline.plant.load import load_plant
from taktline.plant.schema import Plant

__all__ = ["FleetSize", "FleetSizing", "size_fleet"]


@dataclass(frozen=True)
class FleetSize:
    """One fleet size: its throughput interval and whether it holds the takt."""

    size: int
    jph: Interval
    holds: bool


@dataclass(frozen=True)
class FleetSizing:
    """The answer of :func:`size_fleet`."""

    plant: str
    fleet: str
    design_jph: float
    attainment: float
    sizes: tuple[FleetSize, ...]
    days: float
    replications: int

    @property
    def smallest(self) -> int | None:
        """The smallest size that holds the takt, as do all larger sizes tried."""
        best = None
        for s in reversed(self.sizes):
            if not s.holds:
                break
            best = s.size
        return best


def size_fleet(
    plant: Plant | str | None = None,
    *,
    fleet: str | None = None,
    sizes: range = range(1, 11),
    replications: int = 5,
    days: float = 2.0,
    warmup: float = 8 * 3600.0,
    attainment: float = 0.95,
    seed: int = 1,
    workers: int | None = None,
    progress: Progress | None = None,
) -> FleetSizing:
    """Simulate ``plant`` for every fleet size in ``sizes`` (see the module's rule)."""
    p = plant if isinstance(plant, Plant) else load_plant(plant)
    if not p.fleets:
        raise ScenarioError(f"plant {p.name!r} has no AGV fleet", field="fleets")
    ids = [f.id for f in p.fleets]
    fid = fleet or ids[0]
    if fid not in ids:
        raise ScenarioError(f"no fleet {fid!r} (fleets: {', '.join(ids)})", field="--fleet")
    if len(sizes) == 0 or sizes[0] < 1:
        raise ScenarioError("the size range must be non-empty and start at 1 or more",
                            field="--min")
    base = p.model_dump(by_alias=True)
    steps = resolve_path(base, f"fleets.{fid}.size")
    scenarios = [
        Scenario(f"size_{n}", {"size": n}, apply_values(base, {steps: n}), {"size": n})
        for n in sizes
    ]
    spec = ScenarioFile(
        name=f"fleet size of {p.name}", plant=p.name, replications=replications,
        run=RunLength(length=days * 86400.0, warmup=warmup), seeds=SeedSpec(base=seed),
        kpis=["throughput_jph"],
    )
    exp = Experiment(spec, "<fleet size>", p, scenarios, scenarios[-1].name,
                     {"size": [steps]})
    result = run_experiment(exp, workers=workers, progress=progress)
    design = 3600.0 / p.takt
    rows = []
    for sc in scenarios:
        ci = result.interval(sc.name, "throughput_jph")
        rows.append(FleetSize(int(sc.values["size"]), ci, ci.low >= attainment * design))
    return FleetSizing(p.name, fid, design, attainment, tuple(rows), days, replications)
