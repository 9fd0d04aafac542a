"""The ``anbu`` command."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

app = typer.Typer(help="Anbu: an open-source AI phone agent.", no_args_is_help=True)
scripts_app = typer.Typer(help="Dialog scripts.", no_args_is_help=True)
app.add_typer(scripts_app, name="scripts")


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
