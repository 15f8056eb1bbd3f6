"""Open any sequencing instance: a ROADEF 2005 folder, a CSPLib file, or a plant's
order file (with the plant)."""

from __future__ import annotations

from pathlib import Path

from taktline.errors import InstanceError
from taktline.plan.sequencing.csplib import read_csplib
from taktline.plan.sequencing.plant import problem_from_orders
from taktline.plan.sequencing.problem import SequenceProblem
from taktline.plan.sequencing.roadef import is_roadef_folder, read_roadef
from taktline.plant.orders import load_sequence
from taktline.plant.schema import Plant

__all__ = ["load_instance"]


def load_instance(path: str | Path, plant: Plant | None = None) -> SequenceProblem:
    """Read ``path``: with ``plant`` an order CSV (``order_id,variant,colour,options``),
    otherwise a ROADEF 2005 folder or a CSPLib prob001 file."""
    p = Path(path)
    if plant is not None:
        return problem_from_orders(plant, load_sequence(p, plant), name=p.stem)
    if p.is_dir():
        if not is_roadef_folder(p):
            raise InstanceError("a folder, but not a ROADEF 2005 instance (no vehicles.txt)",
                                file=str(p))
        return read_roadef(p)
    if not p.exists():
        raise InstanceError("no such file or folder", file=str(p))
    head = p.read_text(encoding="utf-8", errors="replace")[:200].lstrip()
    if head.startswith("order_id"):
        raise InstanceError("an order file: give the plant too (--plant PLANT)", file=str(p),
                            line=1)
    return read_csplib(p)
