"""Many runs: scenarios x replications, locally or on Dask, with statistics and reports.

::

    from taktline.experiment import run_experiment
    result = run_experiment("examples/buffer_sizing.yaml", workers=2, out="results/buffers")
    result.summary()          # mean and 95 % half-width per scenario and KPI
    result.comparisons("throughput_jph")   # paired differences against the base, ranked

The scenario format, designs, common random numbers, MSER-5, the statistics, the
report, optimisation and capacity planning are described in ``docs/experiments.md``.
"""

from taktline.experiment.design import Experiment, Scenario, load_scenario, parse_scenario
from taktline.experiment.results import ExperimentResult, WarmupInfo
from taktline.experiment.runner import Progress, run_experiment

__all__ = [
    "Experiment",
    "ExperimentResult",
    "Progress",
    "Scenario",
    "WarmupInfo",
    "load_scenario",
    "parse_scenario",
    "run_experiment",
]
