"""``taktline serve``: run the plant with nobody on the floor.

One process: the REST API (OpenAPI at ``/docs``), the OPC UA server and the twin
producing vehicles, with the store in SQLite (``./taktline.db``) or PostgreSQL.

Tokens: without ``TAKTLINE_TOKENS__*`` in the environment, a service on this machine
only (``--host`` loopback, the default) or in development mode takes its tokens from
``--token-file`` (``./taktline-tokens.json``), creating them at the first start, and
prints them; on any other address it refuses to start without tokens.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import SecretStr, ValidationError
from rich.console import Console

from taktline.errors import SettingsError, TaktlineError

app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


@app.command()
def serve(
    plant: Annotated[str | None, typer.Argument(
        help="Plant YAML file or bundled plant name (default: the reference plant).")] = None,
    db: Annotated[str | None, typer.Option(
        help="Database URL: sqlite:///FILE (default sqlite:///taktline.db) or "
        "postgresql+psycopg://USER:PASSWORD@HOST:PORT/DB.")] = None,
    host: Annotated[str | None, typer.Option(
        help="Address of the API and the OPC UA server (default 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port of the REST API (default 8000).",
                                             min=0, max=65535)] = None,
    speed: Annotated[float | None, typer.Option(
        help="Twin speed: plant seconds per wall second (default 60; 1 = real time).",
        min=0.0)] = None,
    seed: Annotated[int | None, typer.Option(help="Root seed of the twin.")] = None,
    opcua: Annotated[bool | None, typer.Option(
        "--opcua/--no-opcua", help="Start the OPC UA server (default: yes).")] = None,
    opcua_port: Annotated[int | None, typer.Option(
        help="Port of the OPC UA server (default 4840).", min=1, max=65535)] = None,
    dev: Annotated[bool, typer.Option(help="Development mode: placeholder tokens allowed.")]
    = False,
    token_file: Annotated[Path, typer.Option(help="Where tokens are kept when none are set "
                                             "in the environment.")] = Path("taktline-tokens.json"),
    sequencing: Annotated[str | None, typer.Option(help="solver or arrival.")] = None,
    mqtt: Annotated[str | None, typer.Option(
        help="mqtt://host:port: the AGV fleet manager and the twin's AGVs speak VDA 5050 "
        "through this MQTT broker (default: in process).")] = None,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "info",
) -> None:
    """Run the MES, the REST API, the OPC UA server and the twin (until Ctrl-C)."""
    try:
        settings, generated = _settings(plant=plant, db=db, host=host, port=port, speed=speed,
                                        seed=seed, opcua=opcua, opcua_port=opcua_port, dev=dev,
                                        token_file=token_file, sequencing=sequencing,
                                        mqtt=mqtt)
        from taktline.ops.api import create_app

        application = create_app(settings)
    except TaktlineError as exc:
        err.print(f"error: {exc}")
        raise typer.Exit(2) from None
    _banner(settings, token_file if generated is not None else None)
    import uvicorn

    config = uvicorn.Config(application, host=settings.host, port=settings.port,
                            log_level=log_level,
                            lifespan="on", timeout_graceful_shutdown=10)
    server = uvicorn.Server(config)
    server.run()
    if not server.started:
        raise typer.Exit(1)


def _settings(*, plant: str | None, db: str | None, host: str | None, port: int | None,
              speed: float | None, seed: int | None, opcua: bool | None,
              opcua_port: int | None, dev: bool, token_file: Path,
              sequencing: str | None,
              mqtt: str | None = None) -> tuple[Any, dict[str, str] | None]:
    """Settings from the environment, overridden by the options that were given;
    (settings, the tokens read from the token file, if they were)."""
    from taktline.ops.settings import Settings, is_loopback, opcua_settings

    twin = {k: v for k, v in (("speed", speed), ("seed", seed)) if v is not None}
    given: dict[str, Any] = {
        "plant": plant, "db": db, "host": host, "port": port, "opcua": opcua,
        "opcua_port": opcua_port, "dev": dev or None, "twin": twin or None,
        "sequencing": {"method": sequencing} if sequencing else None, "mqtt": mqtt}
    try:
        settings = Settings(**{k: v for k, v in given.items() if v is not None})
    except ValidationError as exc:
        first = exc.errors()[0]
        raise SettingsError(first["msg"], field=".".join(str(x) for x in first["loc"])) from exc
    generated = None
    if len(settings.tokens.by_role()) < 3 and (settings.dev or is_loopback(settings.host)
                                               or token_file.exists()):
        generated = _token_file(token_file)
        tokens = settings.tokens.model_copy(update={k: SecretStr(v) for k, v in generated.items()})
        settings = settings.model_copy(update={"tokens": tokens})
    settings.check_secrets()
    if settings.opcua and settings.opcua_settings is None:
        try:
            derived = opcua_settings(settings)
        except ValidationError as exc:
            raise SettingsError(exc.errors()[0]["msg"], field="opcua_settings") from exc
        settings = settings.model_copy(update={"opcua_settings": derived})
    return settings, generated


def _token_file(path: Path) -> dict[str, str]:
    """Tokens from ``path``, made (readable by the owner only) if it does not exist."""
    from taktline.ops.settings import Role, generate_tokens

    if path.exists():
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return {r.value: str(data[r.value]) for r in Role}
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise SettingsError(f"cannot read tokens: {exc}", file=str(path)) from exc
    made = generate_tokens().by_role()
    tokens = {r.value: t for r, t in made.items()}
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(tokens, fh, indent=2)
    return tokens


def _banner(settings: Any, token_file: Path | None) -> None:
    url = f"http://{settings.host}:{settings.port}"
    out.print(f"[bold]taktline serve[/]: plant {settings.plant}, store {_safe(settings.db)}, "
              f"twin at {settings.twin.speed:g}x")
    out.print(f"  REST API   {url}/api/v1   (OpenAPI: {url}/docs)")
    out.print(f"  live       ws://{settings.host}:{settings.port}/api/v1/stream")
    if settings.opcua and settings.opcua_settings is not None:
        out.print(f"  OPC UA     {settings.opcua_settings.endpoint} (Basic256Sha256, "
                  "users viewer / operator, password = their API token)")
    if token_file is not None:
        out.print(f"  tokens     from {token_file}:")
        for role, token in settings.tokens.by_role().items():
            out.print(f"    {role.value:9s}{token}")


def _safe(url: str) -> str:
    """A database URL without its password."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # only for display
        return "<database>"


if __name__ == "__main__":  # python -m taktline.commands.serve
    sys.exit(app())
