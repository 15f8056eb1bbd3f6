"""Shapes shared by several resources: pages, identifiers, bounds."""

from __future__ import annotations

from typing import Annotated, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

__all__ = ["MAX_BATCH", "MAX_PAGE", "Id", "Message", "Page", "Strict"]

MAX_PAGE = 500
"""The largest page any list returns."""
MAX_BATCH = 1000
"""The most orders one request may create."""

Id = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.:-]*$",
                                      min_length=1, max_length=64)]
"""A plant or order identifier: letters, digits, ``_ . : -``; at most 64 characters."""

T = TypeVar("T")


class Strict(BaseModel):
    """A request body: unknown fields are refused (422), nothing is coerced silently."""

    model_config = ConfigDict(extra="forbid", strict=True)


class Page(BaseModel, Generic[T]):
    """One page of a list: ``items``, the ``count`` of all matches, ``limit``, ``offset``."""

    items: list[T]
    count: int
    limit: int
    offset: int


class Message(BaseModel):
    detail: str = Field(examples=["no order 'O-1'"])
