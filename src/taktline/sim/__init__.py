"""How the plant BEHAVES over time: the discrete-event twin."""

from taktline.sim.records import RecordLog, State
from taktline.sim.run import Run, run_twin

__all__ = ["RecordLog", "Run", "State", "run_twin"]
