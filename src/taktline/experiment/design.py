"""Scenario file -> :class:`Experiment`: the base plant, every scenario's plant, the base.

Errors name the scenario file, line and field, like plant files do
(``scenario.yaml:12 factors.b1.path: no item 'B12' in buffers (ids: ...)``).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path as FsPath
from typing import Any, NoReturn

import numpy as np
from pydantic import TypeAdapter, ValidationError

from taktline.errors import PlantError, ScenarioError
from taktline.experiment.factors import (
    FactorPathError,
    InvalidPlant,
    Steps,
    apply_values,
    get_value,
    resolve_path,
)
from taktline.experiment.spec import (
    Factor,
    LhsDesign,
    ListDesign,
    ScenarioFile,
)
from taktline.experiment.tasks import KPI_NAMES, STATION_MEASURES
from taktline.plant.check import Problem
from taktline.plant.dist import Dist
from taktline.plant.load import (
    bundled_plants,
    load_plant,
    plant_path,
    raise_problems,
    validation_problems,
)
from taktline.plant.schema import Plant
from taktline.plant.units import parse_duration
from taktline.plant.yamlpos import (
    Path,
    YamlDocument,
    YamlSyntaxError,
    format_path,
    parse_yaml,
)

__all__ = ["Experiment", "Scenario", "kpi_known", "level_value", "load_scenario", "parse_scenario"]

_DIST: TypeAdapter[Any] = TypeAdapter(Dist)


@dataclass(frozen=True)
class Scenario:
    """One scenario: its name, the factor values it sets, its validated plant."""

    name: str
    values: dict[str, Any]
    plant: Plant
    levels: dict[str, Any] = field(default_factory=dict)
    """Every factor's effective value in this plant (set here or left as in the base)."""


@dataclass(frozen=True)
class Experiment:
    """A validated scenario file: the spec, the base plant and every scenario."""

    spec: ScenarioFile
    file: str
    base_plant: Plant
    scenarios: list[Scenario]
    base: str
    steps: dict[str, list[Steps]]
    """Where each factor is written in the plant data (one or more places)."""
    doc: YamlDocument | None = None

    @property
    def name(self) -> str:
        return self.spec.name

    def scenario(self, name: str) -> Scenario:
        for s in self.scenarios:
            if s.name == name:
                return s
        raise KeyError(name)

    def error(self, path: Path, rule: str) -> ScenarioError:
        """A :class:`ScenarioError` at ``path`` of the scenario file."""
        line = self.doc.line_of(path) if self.doc is not None else None
        return ScenarioError(rule, file=self.file, line=line, field=format_path(path) or None)

    def build(self, name: str, values: Mapping[str, Any]) -> Scenario:
        """A scenario of this experiment's base plant with ``values`` set (validated)."""
        plant = apply_values(
            self.base_dump, {st: v for f, v in values.items() for st in self.steps[f]}
        )
        return Scenario(name, dict(values), plant, _levels(plant, self.steps))

    @property
    def base_dump(self) -> dict[str, Any]:
        return self.base_plant.model_dump(by_alias=True)


def level_value(value: Any) -> Any:
    """A factor level as a number where one exists (a distribution by its mean)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, dict) and "dist" in value:
        return float(_DIST.validate_python(value).mean_value)
    if isinstance(value, str):
        try:
            return float(parse_duration(value))
        except ValueError:
            return value
    return str(value)


def _levels(plant: Plant, steps: Mapping[str, list[Steps]]) -> dict[str, Any]:
    """Each factor's value in ``plant`` (at its first path)."""
    data = plant.model_dump(by_alias=True)
    return {f: level_value(get_value(data, s[0])) for f, s in steps.items()}


def load_scenario(path: str | FsPath) -> Experiment:
    """Load and validate a scenario file; the base plant is found relative to it."""
    p = FsPath(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError("no such scenario file", file=str(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"cannot read: {exc}", file=str(path)) from exc
    return parse_scenario(text, filename=str(path), base_dir=p.parent)


def _fail(problems: list[Problem], doc: YamlDocument, filename: str,
          cause: Exception | None = None) -> NoReturn:
    raise_problems(problems, doc, filename, cause, keep_order=True, error=ScenarioError)


def parse_scenario(
    text: str, filename: str = "<scenario>", base_dir: str | FsPath | None = None
) -> Experiment:
    """Validate a scenario file given as YAML text (plant paths relative to ``base_dir``)."""
    try:
        doc = parse_yaml(text)
    except YamlSyntaxError as exc:
        raise ScenarioError(str(exc), file=filename, line=exc.line) from exc
    if not isinstance(doc.data, dict):
        raise ScenarioError("the scenario file must be a mapping of fields", file=filename, line=1)
    try:
        spec = ScenarioFile.model_validate(doc.data)
    except ValidationError as exc:
        problems = [
            Problem(p.path, p.rule.replace("the plant format", "the scenario format"))
            for p in validation_problems(exc, doc)
        ]
        raise_problems(problems, doc, filename, exc, error=ScenarioError)
    base_plant = _base_plant(spec, doc, filename, base_dir)
    dump = base_plant.model_dump(by_alias=True)
    steps = _factor_steps(spec, dump, doc, filename)
    problems = _cross_checks(spec, base_plant, steps)
    if problems:
        _fail(problems, doc, filename)
    exp = Experiment(spec, filename, base_plant, [], "", steps, doc)
    scenarios = _scenarios(exp, doc, filename)
    base = spec.base
    if base is None:
        base = next((s.name for s in scenarios if s.plant == base_plant), None)
        if base is None:
            scenarios.insert(0, Scenario("base", {}, base_plant, _levels(base_plant, steps)))
            base = "base"
    return Experiment(spec, filename, base_plant, scenarios, base, steps, doc)


def _base_plant(
    spec: ScenarioFile, doc: YamlDocument, filename: str, base_dir: str | FsPath | None
) -> Plant:
    ref = spec.plant
    candidate = FsPath(base_dir or ".") / ref
    if candidate.exists() or "/" in ref or ref.endswith((".yaml", ".yml")):
        if not candidate.exists():
            _fail([Problem(("plant",), f"no such plant file: {candidate}")], doc, filename)
        return load_plant(candidate)
    if not plant_path(ref).exists():
        names = ", ".join(bundled_plants())
        _fail([Problem(("plant",), f"no plant file or bundled plant {ref!r} "
                                   f"(bundled plants: {names})")], doc, filename)
    try:
        return load_plant(ref)
    except PlantError:  # pragma: no cover - bundled plants are tested to load
        raise


def _factor_steps(
    spec: ScenarioFile, dump: dict[str, Any], doc: YamlDocument, filename: str
) -> dict[str, list[Steps]]:
    steps: dict[str, list[Steps]] = {}
    problems = []
    for name, factor in spec.factors.items():
        paths = [factor.path] if isinstance(factor.path, str) else factor.path
        at: Path = ("factors", name, "path")
        for i, path in enumerate(paths):
            try:
                steps.setdefault(name, []).append(resolve_path(dump, path))
            except FactorPathError as exc:
                problems.append(Problem(at if isinstance(factor.path, str) else (*at, i),
                                        str(exc)))
    if problems:
        _fail(problems, doc, filename)
    return steps


def kpi_known(kpi: str, plant: Plant) -> bool:
    if kpi in KPI_NAMES:
        return True
    if kpi.startswith("stations."):
        station, _, measure = kpi[len("stations."):].rpartition(".")
        return measure in STATION_MEASURES and station in {s.id for s in plant.stations}
    head, _, fleet = kpi.partition(".")
    return head in ("agv_busy_share", "agv_transport_s") and fleet in {f.id for f in plant.fleets}


def _cross_checks(
    spec: ScenarioFile, plant: Plant, steps: dict[str, list[Steps]]
) -> list[Problem]:
    out: list[Problem] = []
    design = spec.design
    if isinstance(design, ListDesign):
        seen: set[str] = set()
        for i, point in enumerate(design.scenarios):
            if point.name in seen:
                out.append(Problem(("design", "scenarios", i, "name"),
                                   f"scenario name {point.name!r} is used twice"))
            seen.add(point.name)
            for key in point.values:
                if key not in steps:
                    out.append(Problem(("design", "scenarios", i, "values", key),
                                       f"no factor {key!r} (factors: {', '.join(steps)})"))
    if isinstance(spec.seeds, list) and len(spec.seeds) != spec.replications:
        out.append(Problem(("seeds",), f"give one seed per replication ({spec.replications}, "
                                       f"got {len(spec.seeds)})"))
    for i, kpi in enumerate(spec.kpis):
        if not kpi_known(kpi, plant):
            out.append(Problem(("kpis", i), f"unknown KPI {kpi!r} (KPIs: {', '.join(KPI_NAMES)}, "
                                            "stations.<id>.<state or oee>)"))
    if not kpi_known(spec.objective.kpi, plant):
        out.append(Problem(("objective", "kpi"), f"unknown KPI {spec.objective.kpi!r}"))
    for i, c in enumerate(spec.constraints):
        for j, name in enumerate(c.sum):
            if name not in steps:
                out.append(Problem(("constraints", i, "sum", j), f"no factor {name!r}"))
    return out


def _points(exp: Experiment) -> list[tuple[str, dict[str, Any], dict[str, Path]]]:
    """(name, values, where each value is written) of every design point."""
    spec = exp.spec
    design, factors = spec.design, spec.factors
    if isinstance(design, ListDesign):
        listed: list[tuple[str, dict[str, Any], dict[str, Path]]] = []
        for i, p in enumerate(design.scenarios):
            at: dict[str, Path] = {f: ("design", "scenarios", i, "values", f) for f in p.values}
            listed.append((p.name, dict(p.values), at))
        return listed
    if isinstance(design, LhsDesign):
        return _lhs_points(factors, design)
    names = list(factors)
    combos = itertools.product(*(enumerate(_factorial_levels(factors[f])) for f in names))
    out = []
    for combo in combos:
        values = {f: v for f, (_, v) in zip(names, combo, strict=True)}
        where: dict[str, Path] = {
            f: ("factors", f, "values", i) for f, (i, _) in zip(names, combo, strict=True)
        }
        out.append((_name(values), values, where))
    return out


def _factorial_levels(factor: Factor) -> list[Any]:
    """A factor's levels in a full factorial: its values, or the two ends of its range
    (a 2^k design)."""
    if factor.values is not None:
        return list(factor.values)
    assert factor.low is not None and factor.high is not None
    ends = [factor.low, factor.high]
    return [int(v) for v in ends] if factor.integer else ends


def _name(values: Mapping[str, Any]) -> str:
    return ",".join(f"{f}={v:g}" if isinstance(v, float) else f"{f}={v}"
                    for f, v in values.items()) or "base"


def _lhs_points(
    factors: Mapping[str, Factor], design: LhsDesign
) -> list[tuple[str, dict[str, Any], dict[str, Path]]]:
    names = list(factors)
    if not names:
        return []
    from scipy.stats import qmc  # here, not at the top: scipy.stats costs a CLI start ~1 s

    sampler = qmc.LatinHypercube(d=len(names), rng=np.random.default_rng(design.seed))
    unit = sampler.random(design.samples)
    out = []
    for i, row in enumerate(unit):
        values: dict[str, Any] = {}
        for f, u in zip(names, row, strict=True):
            values[f] = _lhs_value(factors[f], float(u))
        at: dict[str, Path] = {f: ("factors", f) for f in names}
        out.append((f"lhs{i + 1:02d}", values, at))
    return out


def _lhs_value(factor: Factor, u: float) -> Any:
    if factor.values is not None:
        return factor.values[min(int(u * len(factor.values)), len(factor.values) - 1)]
    assert factor.low is not None and factor.high is not None
    if factor.integer:
        return int(np.floor(factor.low + u * (factor.high - factor.low + 1)))
    return round(factor.low + u * (factor.high - factor.low), 6)


def _scenarios(exp: Experiment, doc: YamlDocument, filename: str) -> list[Scenario]:
    problems, scenarios = [], []
    for name, values, where in _points(exp):
        if not _feasible(exp.spec, values, exp):
            continue
        try:
            scenarios.append(exp.build(name, values))
        except InvalidPlant as exc:
            culprit = next(
                (f for f, ss in exp.steps.items()
                 if f in values and any(exc.field.startswith(format_path(s)) for s in ss)),
                next(iter(values), None),
            )
            path = where.get(culprit, ("factors",)) if culprit else ("factors",)
            shown = f"{_path_text(exp, culprit)} = {values[culprit]!r}" if culprit else name
            problems.append(Problem(path, f"{shown} makes the plant invalid: {exc}"))
    if problems:
        _fail(problems, doc, filename)
    if not scenarios:
        _fail([Problem(("constraints",), "no scenario of the design meets the constraints")],
              doc, filename)
    return scenarios


def _path_text(exp: Experiment, factor: str) -> str:
    path = exp.spec.factors[factor].path
    return path if isinstance(path, str) else ", ".join(path)


def _feasible(spec: ScenarioFile, values: Mapping[str, Any], exp: Experiment) -> bool:
    """Whether a design point meets every constraint (factors it leaves unset count
    with their value in the base plant)."""
    if not spec.constraints:
        return True
    levels = _levels(exp.base_plant, exp.steps)
    for c in spec.constraints:
        total = sum(float(level_value(values.get(f, levels[f]))) for f in c.sum)
        if not c.holds(total):
            return False
    return True
