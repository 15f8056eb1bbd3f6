"""The FastAPI application of the operations service.

:func:`create_app` builds everything from the settings it is given - nothing at import
time: the plant, the store (migrated), the plant driver (the twin unless one is
passed in), the MES, and the OPC UA server (unless switched off). They start
in the application's lifespan and stop with it, in reverse order.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, Depends, FastAPI

from taktline.ops import web
from taktline.ops.api.deps import known_query
from taktline.ops.api.errors import install_handlers
from taktline.ops.api.limits import BodyLimit
from taktline.ops.api.routes import (
    andon,
    audit,
    dashboard,
    events,
    fleet,
    health,
    kpis,
    orders,
    plant,
    stations,
    twin,
    vehicles,
)
from taktline.ops.api.schemas.common import Message
from taktline.ops.api.security import Tokens
from taktline.ops.driver import PlantDriver
from taktline.ops.opcua import OpcUaHandle
from taktline.ops.service import Mes
from taktline.ops.settings import Settings, opcua_settings
from taktline.ops.store.db import Store, check_url
from taktline.ops.twin_driver import TwinDriver
from taktline.plant.load import load_plant
from taktline.plant.schema import Plant

__all__ = ["API_PREFIX", "create_app"]

API_PREFIX = "/api/v1"
log = logging.getLogger("taktline.ops")


ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": Message, "description": "a body that cannot be read (not UTF-8 JSON)"},
    401: {"model": Message, "description": "missing or invalid bearer token"},
    403: {"model": Message, "description": "the token's role is too low"},
    413: {"model": Message, "description": "request body too large"},
}


def api_router() -> APIRouter:
    router = APIRouter(prefix=API_PREFIX)
    for module in (orders, vehicles, stations, andon, kpis, audit, plant, twin, events,
                   health, dashboard, fleet):
        router.include_router(module.router, responses=ERRORS,
                              dependencies=[Depends(known_query)])
    return router


def create_app(settings: Settings, *, driver: PlantDriver | None = None) -> FastAPI:
    """The service as an ASGI app. Refuses unsafe settings (:class:`SettingsError`)."""
    settings.check_secrets()
    check_url(settings.db)
    tokens = Tokens(settings.tokens.by_role())
    the_plant = driver.plant if driver is not None else load_plant(settings.plant)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        store = Store.open(settings.db, synchronous=settings.sqlite_synchronous)
        mes: Mes | None = None

        def behind() -> bool:
            return mes is not None and mes.behind()

        plant_driver = driver or TwinDriver(the_plant, seed=settings.twin.seed,
                                            speed=settings.twin.speed,
                                            tick_s=settings.twin.tick_s, behind=behind,
                                            vda5050=True, mqtt=settings.mqtt)
        mes = Mes(settings, plant_driver, store)
        app.state.store, app.state.mes = store, mes
        await mes.start()
        opcua = await _start_opcua(plant_driver, settings)
        try:
            yield
        finally:
            if opcua is not None:
                await opcua.stop()
            await mes.stop()
            store.close()

    app = FastAPI(
        title=f"taktline operations: {the_plant.name}",
        version="1",
        summary="MES of a lights-out plant: orders, release, tracking, genealogy, andon, "
        "KPIs, fault handling; a live event stream at /api/v1/stream.",
        lifespan=lifespan,
        docs_url="/docs",
        openapi_url="/openapi.json",
    )
    app.state.settings = settings
    app.state.tokens = tokens
    app.state.plant = the_plant
    app.include_router(api_router())
    app.include_router(web.router)  # the dashboard at /
    install_handlers(app)
    _catalogue_in_schema(app, the_plant)
    app.add_middleware(BodyLimit, max_bytes=settings.api.max_body_bytes)
    return app


def _catalogue_in_schema(app: FastAPI, plant: Plant) -> None:
    """The OpenAPI schema lists the plant's catalogue: a client (and a fuzzer) sees which
    variants, colours and options an order may name."""
    base = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = base()
        cat = plant.products
        for name in ("OrderCreate", "OrderBase"):
            props = schema.get("components", {}).get("schemas", {}).get(name, {}).get(
                "properties")
            if not props:
                continue
            props["variant"]["enum"] = [v.id for v in cat.variants]
            props["colour"]["enum"] = [c.id for c in cat.colours]
            props["options"]["items"]["enum"] = [o.id for o in cat.options]
            props["options"]["uniqueItems"] = True
            props["options"]["maxItems"] = len(cat.options)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


async def _start_opcua(driver: PlantDriver, settings: Settings) -> OpcUaHandle | None:
    """Start the OPC UA server (``taktline.ops.opcua``) unless it is switched off."""
    if not settings.opcua:
        return None
    from taktline.ops.opcua import start_opcua

    return await start_opcua(driver, opcua_settings(settings))
