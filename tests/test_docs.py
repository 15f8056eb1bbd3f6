"""Examples in the docs run: every complete plant in docs/*.md parses."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from taktline.plant import parse_plant
from taktline.sim import run_twin

DOCS = Path(__file__).resolve().parent.parent / "docs"
BLOCK = re.compile(r"```yaml\n(name:.*?)```", re.S)


def _plants() -> list[tuple[str, str]]:
    out = []
    for path in sorted(DOCS.glob("*.md")):
        plants = [b for b in BLOCK.findall(path.read_text(encoding="utf-8"))
                  if "\nstations:" in b and "\nsinks:" in b]  # scenario files are not plants
        for i, block in enumerate(plants):
            out.append((f"{path.name}#{i}", block))
    return out


@pytest.mark.parametrize(("where", "text"), _plants())
def test_doc_plant_parses_and_runs(where: str, text: str) -> None:
    plant = parse_plant(text, filename=where)
    assert run_twin(plant, horizon_s=3_600.0).completed > 0


def test_there_are_doc_examples() -> None:
    assert len(_plants()) >= 2


def test_tutorial_error_message_is_what_the_tutorial_shows() -> None:
    from taktline.errors import PlantError

    text = dict(_plants())["tutorial.md#0"]
    shown = re.search(r"error: (line\.yaml:\d+ .*)", (DOCS / "tutorial.md").read_text())
    assert shown is not None
    with pytest.raises(PlantError) as info:
        parse_plant(text.replace("{id: b1, capacity: 3}", "{id: b1, capacity: -6}"),
                    filename="line.yaml")
    assert str(info.value) == shown.group(1)
