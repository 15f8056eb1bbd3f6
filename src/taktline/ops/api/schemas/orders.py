"""Orders: what a client sends to order vehicles and what it gets back."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from taktline.ops.api.schemas.common import MAX_BATCH, Id, Page, Strict

__all__ = ["OrderBase", "OrderBatchCreate", "OrderCreate", "OrderPublic", "OrdersPublic"]


class OrderBase(Strict):
    variant: Id = Field(description="a variant of the plant's catalogue", examples=["m5_bev"])
    colour: Id = Field(description="a colour of the catalogue", examples=["white"])
    options: list[Id] = Field(default_factory=list, max_length=64,
                              description="options of the catalogue, each at most once",
                              examples=[["pano_roof", "hud"]])


class OrderCreate(OrderBase):
    order_id: Id | None = Field(None, description="your order number; the MES names the "
                                "order if you leave it out", examples=["SO-2026-000123"])


class OrderBatchCreate(Strict):
    orders: list[OrderCreate] = Field(min_length=1, max_length=MAX_BATCH)


class OrderPublic(BaseModel):
    order_id: str
    variant: str
    colour: str
    options: list[str]
    status: str = Field(description="accepted, released, completed or cancelled")
    queue_position: int | None = Field(None, description="1 = released next (accepted only)")
    frozen: bool = Field(False, description="inside the frozen horizon: never re-sequenced")
    vin: str | None = None
    created_at: datetime
    released_at: datetime | None = None
    completed_at: datetime | None = None
    cancelled_at: datetime | None = None


class OrdersPublic(Page[OrderPublic]):
    pass
