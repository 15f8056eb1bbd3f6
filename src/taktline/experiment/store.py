"""Finished replications on disk, one JSON file each, so an interrupted run resumes.

A file is named by its task key (a hash of the plant, seed, run length and warm-up),
written to a temporary name and renamed into place, so a file that exists is whole.
A changed scenario gives new keys: nothing stale is ever reused.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

__all__ = ["RunStore"]


class RunStore:
    """The ``runs/`` folder of an experiment's output directory."""

    def __init__(self, out: str | Path) -> None:
        self.dir = Path(out) / "runs"
        self.dir.mkdir(parents=True, exist_ok=True)

    def path(self, key: str) -> Path:
        return self.dir / f"{key}.json"

    def get(self, key: str) -> dict[str, Any] | None:
        """The stored summary of task ``key``, or None if it has not finished."""
        try:
            data = json.loads(self.path(key).read_text(encoding="utf-8"))
        except (FileNotFoundError, json.JSONDecodeError, UnicodeDecodeError):
            return None
        return data if isinstance(data, dict) and data.get("key") == key else None

    def put(self, summary: dict[str, Any]) -> None:
        """Store a finished task's summary atomically."""
        final = self.path(str(summary["key"]))
        tmp = final.with_suffix(f".tmp{os.getpid()}")
        tmp.write_text(json.dumps(summary), encoding="utf-8")
        os.replace(tmp, final)

    def __len__(self) -> int:
        return sum(1 for _ in self.dir.glob("*.json"))
