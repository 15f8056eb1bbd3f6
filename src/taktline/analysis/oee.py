"""OEE per ISO 22400-2:2014 from its time and quantity elements.

ISO 22400-2, *Automation systems and integration - Key performance indicators (KPIs)
for manufacturing operations management - Part 2: Definitions and descriptions*:

* Availability  = APT / PBT
* Effectiveness = PRI x PQ / APT   (PRI: planned runtime per item; summed per item here)
* Quality ratio = GQ / PQ
* OEE index     = Availability x Effectiveness x Quality ratio

with PBT = POT - PDOT (planned busy time) and APT = PBT - ADOT - ADET - AUST (actual
production time: busy time minus unplanned down time, delays and setup). The twin
maps its station states onto these elements: failed -> ADOT, setup -> AUST,
starved + blocked -> ADET, working -> APT, planned stops -> PDOT.

Effectiveness above 1 means PRI is longer than the real cycle; it is reported as it
is (flagged, not capped), as the standard's users are warned to do.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

__all__ = ["Oee", "oee_from_elements"]


@dataclass(frozen=True, slots=True)
class Oee:
    """OEE and its ISO 22400-2 elements for one work unit (station, shop or plant)."""

    availability: float
    effectiveness: float
    quality: float
    oee: float
    pbt_s: float  # planned busy time
    apt_s: float  # actual production time
    adot_s: float  # actual unit down time (failures)
    adet_s: float  # actual unit delay time (starved, blocked)
    aust_s: float  # actual unit setup time
    pri_pq_s: float  # planned runtime of everything produced (sum of PRI per item)
    pq: int  # produced quantity
    gq: int  # good quantity

    @property
    def effectiveness_above_one(self) -> bool:
        """True when PRI x PQ exceeds APT: PRI is set longer than the real cycle."""
        return self.effectiveness > 1.0 + 1e-9

    def to_dict(self) -> dict[str, float | int]:
        return asdict(self)


def _ratio(num: float, den: float) -> float:
    return num / den if den > 0 else 0.0


def oee_from_elements(
    *, pbt: float, adot: float, adet: float, aust: float, pri_pq: float, pq: int, gq: int
) -> Oee:
    """OEE from the ISO 22400-2 elements; APT = PBT - ADOT - ADET - AUST."""
    apt = pbt - adot - adet - aust
    availability = _ratio(apt, pbt)
    effectiveness = _ratio(pri_pq, apt)
    quality = _ratio(gq, pq)
    return Oee(
        availability=availability,
        effectiveness=effectiveness,
        quality=quality,
        oee=availability * effectiveness * quality,
        pbt_s=pbt,
        apt_s=apt,
        adot_s=adot,
        adet_s=adet,
        aust_s=aust,
        pri_pq_s=pri_pq,
        pq=pq,
        gq=gq,
    )
