"""Vehicle identification numbers (ISO 3779 layout, with the check digit).

``LTK`` (world manufacturer id) + 5 characters describing the vehicle (model and
drivetrain from the variant) + check digit + model-year code + plant code ``C`` + a
6-digit serial. The serial is the vehicle's number in the store (unique there); the
model-year code advances every million vehicles, so VINs do not repeat.
"""

from __future__ import annotations

__all__ = ["check_digit", "make_vin"]

_VALUES = {**{str(d): d for d in range(10)},
           **dict(zip("ABCDEFGH", range(1, 9), strict=True)),
           **dict(zip("JKLMN", range(1, 6), strict=True)), "P": 7, "R": 9,
           **dict(zip("STUVWXYZ", range(2, 10), strict=True))}
_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)
_YEARS = "TVWXY123456789ABCDEFGHJKLMNPRS"  # 2026 = T onwards, as ISO 3779 cycles
_ALPHABET = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"  # no I, O, Q


def check_digit(vin17: str) -> str:
    """The check digit (position 9) of a 17-character VIN."""
    total = sum(_VALUES[c] * w for c, w in zip(vin17, _WEIGHTS, strict=True))
    r = total % 11
    return "X" if r == 10 else str(r)


def _code(text: str, n: int) -> str:
    out = [c for c in text.upper() if c in _ALPHABET]
    return ("".join(out) + "Z" * n)[:n]


def make_vin(serial: int, variant: str, wmi: str = "LTK", plant: str = "C") -> str:
    """The VIN of vehicle number ``serial`` (1, 2, ...) of ``variant``."""
    if serial < 1:
        raise ValueError(f"serial must be >= 1 (got {serial})")
    year = _YEARS[((serial - 1) // 1_000_000) % len(_YEARS)]
    vin = f"{wmi}{_code(variant, 5)}0{year}{plant}{(serial - 1) % 1_000_000 + 1:06d}"
    if len(vin) == 18:  # serial 1,000,000 of a year: 6 digits wrap to 000000
        vin = vin[:11] + vin[-6:]
    return vin[:8] + check_digit(vin) + vin[9:]
