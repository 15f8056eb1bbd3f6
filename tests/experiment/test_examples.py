"""Every example in examples/ runs as shipped and answers its question."""

from __future__ import annotations

from pathlib import Path

import pytest

from taktline.experiment import load_scenario, run_experiment

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SCENARIOS = ["buffer_sizing", "die_change", "agv_fleet", "mttr_sensitivity"]


def test_every_example_is_listed() -> None:
    shipped = {p.stem for p in EXAMPLES.glob("*.yaml")} - {"chongqing"}
    assert shipped == set(SCENARIOS)


@pytest.mark.parametrize("name", SCENARIOS)
def test_example_runs(name: str, tmp_path: Path) -> None:
    exp = load_scenario(EXAMPLES / f"{name}.yaml")
    result = run_experiment(exp, workers=1, out=tmp_path)
    assert (tmp_path / "report.html").stat().st_size > 50_000
    assert result.ran == len(result.runs) + (
        getattr(exp.spec.run.warmup, "pilot_replications", 0))
    comps = {c.scenario: c for c in result.comparisons("throughput_jph")}
    if name == "buffer_sizing":
        # one place between failing cells costs output; the budget is respected
        assert comps["b1=1,b2=1,b3=1"].verdict == "base"
        assert any(c.verdict == "better" for c in comps.values())
        assert all(sum(s.levels.values()) <= 12 for s in exp.scenarios)
    elif name == "die_change":
        # 5 min die changes with lots of 8 starve the body shop; 5 s do not
        assert comps["die_change=5min,lot_size=8"].verdict == "worse"
        assert comps["die_change=5s,lot_size=8"].verdict == "no difference"
        assert result.warmup.method == "mser5" and result.warmup.seconds > 0
    elif name == "agv_fleet":
        assert comps["agvs=4"].verdict == "worse"
        assert comps["agvs=4"].estimate.mean < comps["agvs=6"].estimate.mean
    else:
        assert len(exp.scenarios) == 7 and exp.spec.design.kind == "latin_hypercube"
        slowest = max(exp.scenarios, key=lambda s: s.levels["weld_mttr"] + s.levels[
            "paint_mttr"])
        assert comps[slowest.name].estimate.mean < comps["base"].estimate.mean
