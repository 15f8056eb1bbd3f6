"""taktline: digital twin and lights-out operations for automotive plants.

The public API::

    plant = taktline.load_plant("default")           # validated plant description
    result = taktline.simulate(plant, days=7, seed=1)  # twin run + KPIs
    result.kpis.to_dict()                              # the JSON of `taktline simulate`

    problem = taktline.load_instance("path/to/roadef/folder")  # or a CSPLib file
    best = taktline.solve_sequence(problem, time_limit_s=10, seed=1)
    taktline.evaluate(problem, best.order)             # exact PCC/HPRC/LPRC scores
"""

from taktline.analysis import KpiReport, compute_kpis, mean_ci
from taktline.errors import (
    EvaluationMismatch,
    InfeasibleError,
    InputError,
    InstanceError,
    PlantError,
    ScenarioError,
    SequenceError,
    SimulationError,
    TaktlineError,
)
from taktline.plan import (
    Score,
    SequenceProblem,
    SequenceResult,
    evaluate,
    load_instance,
    problem_from_orders,
    solve_sequence,
)
from taktline.plant import Plant, bundled_plants, load_plant, parse_plant
from taktline.plant.orders import Order, load_sequence, write_sequence
from taktline.sim import Run, run_twin
from taktline.simulate import Simulation, simulate

__version__ = "0.1.0"

__all__ = [
    "EvaluationMismatch",
    "InfeasibleError",
    "InputError",
    "InstanceError",
    "KpiReport",
    "Order",
    "Plant",
    "PlantError",
    "Run",
    "ScenarioError",
    "Score",
    "SequenceError",
    "SequenceProblem",
    "SequenceResult",
    "Simulation",
    "SimulationError",
    "TaktlineError",
    "__version__",
    "bundled_plants",
    "compute_kpis",
    "evaluate",
    "load_instance",
    "load_plant",
    "load_sequence",
    "mean_ci",
    "parse_plant",
    "problem_from_orders",
    "run_twin",
    "simulate",
    "solve_sequence",
    "write_sequence",
]
