"""The ``anbu`` command."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from agent.cli_campaign import campaign_app
from agent.cli_users import users_app

os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

app = typer.Typer(help="Anbu: an open-source AI phone agent.", no_args_is_help=True)
scripts_app = typer.Typer(help="Dialog scripts.", no_args_is_help=True)
app.add_typer(scripts_app, name="scripts")
app.add_typer(users_app, name="users")
app.add_typer(campaign_app, name="campaign")


@app.command()
def chat(
    script: Annotated[str, typer.Argument(help="reservation or wellness_checkin")],
    person: Annotated[str, typer.Option(help="the person called (wellness check-in)")] = "",
    phone: Annotated[str, typer.Option(help="the caller's or callee's number, E.164")] = "",
) -> None:
    """Talk to a script by typing: '#1' presses keys, an empty line is silence, /quit hangs up."""
    from agent.chat import run_chat
    from agent.runtime import Runtime
    from agent.settings import get_settings

    settings = get_settings()
    if script == "wellness_checkin" and not person:
        person = "Mrs Kim"
    run_chat(Runtime.create(settings), script, person=person, phone=phone or "+15550100001")


@scripts_app.command("check")
def scripts_check(files: Annotated[list[Path], typer.Argument(help="script files")]) -> None:
    """Validate script files; print each problem with its file and line."""
    from dialog.loader import ScriptError, load_script

    failed = False
    for file in files:
        try:
            script = load_script(file)
        except ScriptError as exc:
            typer.echo(f"error: {exc}", err=True)
            failed = True
        else:
            typer.echo(f"ok: {file} ({script.name}: {len(script.nodes)} nodes)")
    raise typer.Exit(1 if failed else 0)


@scripts_app.command("list")
def scripts_list() -> None:
    """The built-in scripts."""
    from dialog.loader import builtin_scripts

    for name in builtin_scripts():
        typer.echo(name)


@app.command()
def migrate() -> None:
    """Create or upgrade the database schema."""
    from agent.settings import get_settings
    from store.db import make_engine, upgrade

    settings = get_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(make_engine(settings.resolved_database_url))
    typer.echo("database is up to date")


def _configure_logging(level: str, *, json_format: bool = False) -> None:
    """One format for Anbu, uvicorn and pipecat (loguru held at INFO: it logs text at DEBUG)."""
    from agent.logs import configure_logging

    configure_logging(level, json_format=json_format)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to listen on")] = 8000,
    log_level: Annotated[str, typer.Option(help="log level")] = "info",
    demo: Annotated[
        bool, typer.Option(help="once ready, phone yourself: a simulated caller books a table")
    ] = False,
) -> None:
    """Run everything in one process: Twilio webhooks, media streams, API.

    SIGTERM drains (no new calls, the ones in progress finish, then exit 0): see agent/drain.py.
    """
    import uvicorn

    from agent.settings import get_settings

    settings = get_settings()
    # Before importing the app: pipecat logs a banner when it is first imported.
    _configure_logging(log_level, json_format=settings.log_format == "json")
    from agent.app import create_app
    from agent.drain import DrainingServer

    app_ = create_app(settings)
    mode = (
        "Twilio" if settings.twilio_configured else "local simulated phone (no Twilio credentials)"
    )
    if settings.log_format == "json":  # production: every line on the log stream is JSON
        import logging

        logging.getLogger("agent.cli").info(
            "serving on %s:%d (%s), public URL %s", host, port, mode, settings.public_url
        )
    else:
        typer.echo(f"Anbu serving on http://{host}:{port} — {mode}")
        typer.echo(f"  public URL (what Twilio signs): {settings.public_url}")
        typer.echo("  phone it from another terminal:  .venv/bin/anbu call")
    if demo:
        from agent.simcall import start_demo_call

        start_demo_call(settings, f"http://{_client_host(host)}:{port}", print_to=typer.echo)
    config = uvicorn.Config(
        app_,
        host=host,
        port=port,
        log_level=log_level,
        log_config=None,  # keep agent.logs' format (JSON in production)
        ws="websockets-sansio",
        timeout_graceful_shutdown=10,  # after the drain: only stragglers past its timeout remain
    )
    server = DrainingServer(
        config, start_drain=lambda: app_.state.drain.run(getattr(app_.state, "hooks", None))
    )
    server.run()


def _client_host(host: str) -> str:
    return "127.0.0.1" if host in ("0.0.0.0", "::", "") else host  # noqa: S104 (a comparison)


@app.command()
def call(
    say: Annotated[
        list[str] | None,
        typer.Option(
            "--say", help="a line to say (repeatable); '#12' presses keys, 'wav:FILE' plays a WAV"
        ),
    ] = None,
    server: Annotated[str, typer.Option(help="where the server listens")] = "http://127.0.0.1:8000",
    save: Annotated[Path, typer.Option(help="stereo WAV of both legs")] = Path("var/last-call.wav"),
    from_number: Annotated[str, typer.Option("--from", help="caller ID")] = "+15550100001",
) -> None:
    """Phone the running server through the local simulated line, typing or with --say lines."""
    import asyncio

    from agent.settings import get_settings
    from agent.simcall import Caller, place_call

    _configure_logging("warning")
    settings = get_settings()
    caller = Caller.from_settings(settings)
    save.parent.mkdir(parents=True, exist_ok=True)
    if not say:
        typer.echo("Connected lines: type what you'd say; '#1' presses keys; /hangup ends.")
    asyncio.run(
        place_call(
            server=server,
            public_url=settings.public_url,
            token=settings.webhook_token(),
            caller=caller,
            steps=say,
            ask=lambda: input("you> "),
            save_to=save,
            from_number=from_number,
        )
    )
