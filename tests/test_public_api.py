"""The public API is what __init__ re-exports in __all__ (httpx's guard, STYLE.md habit 7)."""

import taktline


def test_all_names_exist_and_nothing_private_leaks() -> None:
    for name in taktline.__all__:
        assert hasattr(taktline, name), name
    public = {n for n in dir(taktline) if not n.startswith("_") and n not in {
        "analysis", "errors", "plant", "sim", "simulate", "cli", "commands", "plan", "experiment",
        "ops"}}
    assert public <= set(taktline.__all__), public - set(taktline.__all__)


def test_simulate_round_trip() -> None:
    result = taktline.simulate("single_station", days=1, warmup_hours=1, seed=3)
    d = result.kpis.to_dict()
    for key in ("vehicles_completed", "throughput_jph", "takt_s", "takt_attainment",
                "mean_interdeparture_s", "robots", "oee", "bottleneck", "lead_time_s",
                "wip_mean", "stations"):
        assert key in d
    assert d["vehicles_completed"] > 700


def test_sequence_round_trip_through_the_top_level_names() -> None:
    from tests.plan.cases import BENCH  # the shared benchmark folder

    problem = taktline.load_instance(BENCH / "csplib" / "example_dincbas_10cars.txt")
    best = taktline.solve_sequence(problem, None, seed=1, iteration_limit=2000, lower_bound=0)
    assert isinstance(best, taktline.SequenceResult)
    assert taktline.evaluate(problem, best.order) == best.score
    assert best.score.total == 0  # the classic 10-car example has a perfect sequence
