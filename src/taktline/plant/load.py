"""YAML -> :class:`Plant`; every error names the file, line, field and rule."""

from __future__ import annotations

from importlib import resources
from pathlib import Path as FsPath
from typing import Any, NoReturn

from pydantic import ValidationError

from taktline.errors import InputError, PlantError
from taktline.plant.check import Problem, check_plant
from taktline.plant.schema import Plant
from taktline.plant.yamlpos import (
    Path,
    YamlDocument,
    YamlSyntaxError,
    format_path,
    parse_yaml,
)

__all__ = [
    "bundled_plants",
    "load_plant",
    "parse_plant",
    "plant_path",
    "raise_problems",
    "validation_problems",
]


def bundled_plants() -> list[str]:
    """Names of the plants shipped with taktline (``default`` is the reference plant)."""
    folder = resources.files("taktline.plant") / "plants"
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".yaml"))


def plant_path(name_or_path: str | FsPath | None = None) -> FsPath:
    """Resolve a file path, or the name of a bundled plant, to a file path."""
    if name_or_path is None:
        name_or_path = "default"
    p = FsPath(name_or_path)
    if p.exists() or p.suffix in (".yaml", ".yml") or "/" in str(name_or_path):
        return p
    bundled = resources.files("taktline.plant") / "plants" / f"{name_or_path}.yaml"
    return FsPath(str(bundled))


def load_plant(name_or_path: str | FsPath | None = None) -> Plant:
    """Load and validate a plant file (or a bundled plant by name; default: the reference plant).

    Raises :class:`PlantError` naming file, line, field and rule on any problem.
    """
    path = plant_path(name_or_path)
    shown = str(name_or_path) if name_or_path is not None else path.name
    if path.is_relative_to(FsPath(str(resources.files("taktline.plant")))):
        shown = path.name
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        names = ", ".join(bundled_plants())
        raise PlantError(
            f"no such plant file (bundled plants: {names})", file=str(name_or_path)
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PlantError(f"cannot read: {exc}", file=shown) from exc
    return parse_plant(text, filename=shown)


def parse_plant(text: str, filename: str = "<plant>") -> Plant:
    """Validate a plant description given as YAML text."""
    try:
        doc = parse_yaml(text)
    except YamlSyntaxError as exc:
        raise PlantError(str(exc), file=filename, line=exc.line) from exc
    if not isinstance(doc.data, dict):
        raise PlantError("the plant file must be a mapping of fields", file=filename, line=1)
    # top-level keys starting with "x-" hold YAML anchors (shared failure profiles ...)
    doc.data = {k: v for k, v in doc.data.items() if not str(k).startswith("x-")}
    try:
        plant = Plant.model_validate(doc.data)
    except ValidationError as exc:
        raise_problems(validation_problems(exc, doc), doc, filename, exc)
    problems = check_plant(plant)
    if problems:
        raise_problems(problems, doc, filename, None, keep_order=True)
    return plant


def validation_problems(exc: ValidationError, doc: YamlDocument) -> list[Problem]:
    """Translate pydantic's errors into problems at paths of the YAML document."""
    return [_problem(err, doc) for err in exc.errors()]


def raise_problems(
    problems: list[Problem],
    doc: YamlDocument,
    filename: str,
    cause: Exception | None,
    keep_order: bool = False,
    error: type[InputError] = PlantError,
) -> NoReturn:
    """Raise ``error`` for the first problem (by line unless ``keep_order``), listing all."""
    ordered = problems if keep_order else sorted(
        problems, key=lambda p: (doc.line_of(p.path) or 0, format_path(p.path))
    )
    first = ordered[0]
    err = error(
        first.rule,
        file=filename,
        line=doc.line_of(first.path),
        field=format_path(first.path) or None,
        more=len(ordered) - 1,
    )
    err.problems = [
        error(p.rule, file=filename, line=doc.line_of(p.path), field=format_path(p.path))
        for p in ordered
    ]
    raise err from cause


def _clean_path(loc: tuple[Any, ...], data: Any, keep_last: bool) -> Path:
    """Drop the parts of a pydantic location that are not in the data (union tags)."""
    out: list[str | int] = []
    node = data
    for i, part in enumerate(loc):
        if (isinstance(node, dict) and part in node) or (
            isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        ):
            out.append(part)
            node = node[part]
        elif keep_last and i == len(loc) - 1 and isinstance(part, str):
            out.append(part)
    return tuple(out)


def _got(value: Any) -> str:
    if isinstance(value, dict | list):
        return ""
    return f" (got {value!r})" if isinstance(value, str) else f" (got {value})"


def _problem(err: Any, doc: YamlDocument) -> Problem:
    kind = err["type"]
    path = _clean_path(err["loc"], doc.data, keep_last=kind in ("missing", "extra_forbidden"))
    ctx = err.get("ctx") or {}
    got = _got(err.get("input"))
    if kind == "missing":
        rule = "required field is missing"
    elif kind == "extra_forbidden":
        rule = "unknown field (not part of the plant format; check the spelling)"
    elif kind == "greater_than_equal":
        rule = f"must be >= {ctx.get('ge')}{got}"
    elif kind == "greater_than":
        rule = f"must be > {ctx.get('gt')}{got}"
    elif kind == "less_than_equal":
        rule = f"must be <= {ctx.get('le')}{got}"
    elif kind == "less_than":
        rule = f"must be < {ctx.get('lt')}{got}"
    elif kind == "too_short":
        rule = f"must have at least {ctx.get('min_length')} item(s)"
    elif kind == "string_pattern_mismatch":
        rule = f"must be an id: a letter or _, then letters, digits, _ . -{got}"
    elif kind in ("union_tag_invalid", "union_tag_not_found"):
        rule = f"unknown kind {ctx.get('tag', '')!r}; expected one of {ctx.get('expected_tags')}"
    elif kind == "value_error":
        rule = str(ctx.get("error", err["msg"]))
    else:
        msg = str(err["msg"])
        if msg.startswith("Input should be "):
            msg = "must be " + msg[len("Input should be ") :]
        rule = msg[0].lower() + msg[1:] + got
    return Problem(path, rule)
