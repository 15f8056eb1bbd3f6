"""YAML with positions: parse a document and remember the line of every value.

Error messages name the line of the offending field, so the loader keeps a map from a
path (``("stations", 7, "servers")``) to the 1-based line where it is written.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

__all__ = ["Path", "YamlDocument", "YamlSyntaxError", "format_path", "parse_yaml"]

Path = tuple[str | int, ...]


_Base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's parser when present


class _Loader(_Base):  # type: ignore[misc]
    """Safe loader with YAML 1.2 booleans: only true/false are booleans, so ``on:``,
    ``off``, ``yes`` and ``no`` stay strings (``setup: {on: colour}`` means what it says)."""


_Loader.yaml_implicit_resolvers = {
    key: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for key, resolvers in _Base.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)


class YamlSyntaxError(Exception):
    """The text is not valid YAML (or repeats a key); carries the 1-based line."""

    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.line = line


class YamlDocument:
    """Parsed data plus the line of every path in it."""

    def __init__(self, data: Any, lines: dict[Path, int]) -> None:
        self.data = data
        self.lines = lines

    def line_of(self, path: Path) -> int | None:
        """Line of ``path``, or of its nearest ancestor that has one."""
        p = tuple(path)
        while p:
            if p in self.lines:
                return self.lines[p]
            p = p[:-1]
        return self.lines.get((), None)


def _walk(node: yaml.Node, path: Path, lines: dict[Path, int]) -> None:
    if isinstance(node, yaml.MappingNode):
        seen: dict[Any, int] = {}
        for key_node, value_node in node.value:
            key = key_node.value
            line = key_node.start_mark.line + 1
            if key in seen:
                raise YamlSyntaxError(
                    f"{format_path((*path, key))}: duplicate key (first at line {seen[key]})",
                    line,
                )
            seen[key] = line
            lines[(*path, key)] = line
            _walk(value_node, (*path, key), lines)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            lines[(*path, i)] = item.start_mark.line + 1
            _walk(item, (*path, i), lines)


def parse_yaml(text: str) -> YamlDocument:
    """Parse one YAML document with the safe loader and record line numbers."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        lines: dict[Path, int] = {}
        if node is not None:
            lines[()] = node.start_mark.line + 1
            _walk(node, (), lines)
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        raise YamlSyntaxError(f"YAML syntax: {exc.problem or exc.context}", line) from exc
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(f"YAML syntax: {exc}", None) from exc
    finally:
        loader.dispose()
    return YamlDocument(data, lines)


def format_path(path: Path) -> str:
    """``("stations", 7, "servers")`` -> ``stations[7].servers``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out
