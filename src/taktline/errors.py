"""The one exception tree of taktline.

Every error taktline raises on purpose derives from :class:`TaktlineError`::

    TaktlineError
     +-- InputError              bad input from a user; the CLI exits with code 2
     |    +-- PlantError         a plant description (YAML) that is malformed or invalid
     |    +-- SequenceError      a vehicle sequence / order CSV that is malformed or invalid
     |    +-- InstanceError      a sequencing instance (ROADEF, CSPLib) that is malformed
     |    +-- ScenarioError      an experiment scenario file that is malformed or invalid
     |    +-- SettingsError      service settings that are invalid or unsafe (placeholder secret)
     +-- InfeasibleError         a problem that has no solution (e.g. a paint batch limit)
     +-- SimulationError         the twin reached a state it cannot continue from
     +-- ServiceError            the operations service refused a request
     |    +-- NotFoundError      no such order, vehicle or station
     |    +-- ConflictError      the request conflicts with the current state
     +-- StoreError              the database failed (SQLAlchemy errors translated)
 +-- FleetError              the AGV fleet manager cannot go on (VDA 5050)
      +-- VdaMessageError    a VDA 5050 message that breaks its JSON schema

An :class:`InputError` carries where the problem is (file, line, field) and the rule
that was broken, and renders as one line::

    plant.yaml:42 stations[7].servers: must be >= 1 (got 0)

Errors from libraries (YAML, CSV, pydantic) are translated at the boundary with
``raise ... from`` so the cause stays chained.
"""

from __future__ import annotations

__all__ = [
    "ConflictError",
    "EvaluationMismatch",
    "FleetError",
    "InfeasibleError",
    "InputError",
    "InstanceError",
    "NoRouteError",
    "NotFoundError",
    "PlantError",
    "ScenarioError",
    "SequenceError",
    "ServiceError",
    "SettingsError",
    "SimulationError",
    "StoreError",
    "TaktlineError",
    "VdaMessageError",
]


class TaktlineError(Exception):
    """Base class of every error taktline raises on purpose."""


class InputError(TaktlineError):
    """Bad input: names the file, line, field and rule that was broken.

    ``str(err)`` is the one-line message ``file:line field: rule``; ``problems`` holds
    every problem found (the message shows the first and counts the rest).
    """

    def __init__(
        self,
        rule: str,
        *,
        file: str | None = None,
        line: int | None = None,
        field: str | None = None,
        more: int = 0,
    ) -> None:
        self.rule = rule
        self.file = file
        self.line = line
        self.field = field
        self.more = more
        self.problems: list[InputError] = []
        super().__init__(self.message)

    @property
    def where(self) -> str:
        """``file:line`` (or whichever part is known)."""
        if self.file and self.line is not None:
            return f"{self.file}:{self.line}"
        return self.file or (f"line {self.line}" if self.line is not None else "")

    @property
    def message(self) -> str:
        parts = [p for p in (self.where, f"{self.field}:" if self.field else "") if p]
        head = " ".join(parts)
        text = f"{head} {self.rule}" if head else self.rule
        if self.more:
            text += f" (and {self.more} more problem{'s' if self.more > 1 else ''})"
        return text

    def __str__(self) -> str:
        return self.message


class PlantError(InputError):
    """A plant description that is malformed or breaks a rule of the format."""


class SequenceError(InputError):
    """A vehicle sequence or order file that is malformed or names unknown things."""


class InstanceError(InputError):
    """A sequencing instance (ROADEF 2005 folder, CSPLib file) that is malformed."""


class ScenarioError(InputError):
    """An experiment scenario file that is malformed or invalid."""


class InfeasibleError(TaktlineError):
    """The problem has no solution; the message says which rule cannot be met."""


class NoRouteError(InfeasibleError):
    """No conflict-free AGV route fits the reservations (plan/dispatch.py); the old plan stays."""


class SimulationError(TaktlineError):
    """The twin reached a state it cannot continue from; the message names the cause."""


class EvaluationMismatch(TaktlineError):
    """The sequencing solver's incremental score disagrees with the exact evaluator (a bug)."""


class SettingsError(InputError):
    """Service settings that are invalid or unsafe (a placeholder secret, no tokens)."""


class ServiceError(TaktlineError):
    """The operations service refused a request; the message says why."""


class NotFoundError(ServiceError):
    """No such order, vehicle or station."""


class ConflictError(ServiceError):
    """The request conflicts with the current state (cancel a released order, reuse an
    idempotency key with another body, an order id that exists)."""


class StoreError(TaktlineError):
    """The database failed; the SQLAlchemy error is chained as the cause."""


class FleetError(TaktlineError):
    """The AGV fleet manager (VDA 5050) refused or could not do something."""


class VdaMessageError(FleetError):
    """A VDA 5050 message broke its JSON schema (sent or received); the message names
    the topic, the field and the rule."""
