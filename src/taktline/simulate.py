"""``simulate``: run the twin on a plant and compute its KPIs, in one call."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from taktline.analysis.kpis import KpiReport, compute_kpis
from taktline.plant.load import load_plant
from taktline.plant.orders import Order, load_sequence
from taktline.plant.schema import Plant
from taktline.sim.run import Progress, Run, run_twin

__all__ = ["Simulation", "simulate"]


@dataclass(frozen=True)
class Simulation:
    """A run of the twin and its KPIs."""

    run: Run
    kpis: KpiReport


def simulate(
    plant: Plant | str | Path | None = None,
    *,
    days: float = 7.0,
    warmup_hours: float = 8.0,
    seed: int = 1,
    sequence: str | Path | list[Order] | None = None,
    progress: Progress | None = None,
) -> Simulation:
    """Simulate ``plant`` (a :class:`Plant`, a plant file, a bundled plant's name, or the
    reference plant by default) for a warm-up plus ``days`` measured days.

    ``sequence`` is a sequence CSV (or a list of orders) giving the vehicles in release
    order; without it vehicles are drawn from the plant's product mix.
    """
    if not isinstance(plant, Plant):
        plant = load_plant(plant)
    orders = load_sequence(sequence, plant) if isinstance(sequence, str | Path) else sequence
    warmup = warmup_hours * 3600.0
    run = run_twin(
        plant,
        horizon_s=warmup + days * 86400.0,
        warmup_s=warmup,
        seed=seed,
        orders=orders,
        progress=progress,
    )
    return Simulation(run, compute_kpis(run))
