"""taktline: digital twin and lights-out operations for automotive plants.

The public API::

    plant = taktline.load_plant("default")           # validated plant description
    result = taktline.simulate(plant, days=7, seed=1)  # twin run + KPIs
    result.kpis.to_dict()                              # the JSON of `taktline simulate`
"""

from taktline.analysis import KpiReport, compute_kpis, mean_ci
from taktline.errors import (
    InfeasibleError,
    InputError,
    InstanceError,
    PlantError,
    ScenarioError,
    SequenceError,
    SimulationError,
    TaktlineError,
)
from taktline.plant import Plant, bundled_plants, load_plant, parse_plant
from taktline.plant.orders import Order, load_sequence, write_sequence
from taktline.sim import Run, run_twin
from taktline.simulate import Simulation, simulate

__version__ = "0.1.0"

__all__ = [
    "InfeasibleError",
    "InputError",
    "InstanceError",
    "KpiReport",
    "Order",
    "Plant",
    "PlantError",
    "Run",
    "ScenarioError",
    "SequenceError",
    "Simulation",
    "SimulationError",
    "TaktlineError",
    "__version__",
    "bundled_plants",
    "compute_kpis",
    "load_plant",
    "load_sequence",
    "mean_ci",
    "parse_plant",
    "run_twin",
    "simulate",
    "write_sequence",
]
