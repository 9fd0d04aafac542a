"""``anbu campaign ...``: create, start, pause and inspect outbound campaigns.

Works on the database directly (like ``anbu migrate``); a running ``anbu serve`` picks the
change up on its next scheduler tick, so no server needs to be reachable.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

campaign_app = typer.Typer(help="Outbound check-in campaigns.", no_args_is_help=True)


def _db() -> Any:
    from agent.settings import get_settings
    from store.db import make_engine, upgrade

    settings = get_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.resolved_database_url)
    upgrade(engine)
    return engine


def _fail_on(exc: Exception) -> None:
    from campaigns.csv_import import ImportRefused

    if isinstance(exc, ImportRefused):
        for error in exc.errors:
            typer.echo(f"line {error.line}: {error.reason}", err=True)
    typer.echo(f"error: {exc}", err=True)
    raise typer.Exit(1)


@campaign_app.command("create")
def create(
    people: Annotated[Path, typer.Option(help="CSV: name,phone,timezone,language,notes,consent")],
    script: Annotated[str, typer.Option(help="dialog script")] = "wellness_checkin",
    days: Annotated[str, typer.Option(help="calling days, e.g. mon,thu")] = "mon,thu",
    window: Annotated[str, typer.Option(help="local calling window, e.g. 10:00-12:00")] = (
        "10:00-12:00"
    ),
    name: Annotated[str, typer.Option(help="a name for operators")] = "",
    start_date: Annotated[str | None, typer.Option(help="first day, YYYY-MM-DD")] = None,
    end_date: Annotated[str | None, typer.Option(help="last day, YYYY-MM-DD")] = None,
    retry: Annotated[str, typer.Option(help="outcomes that retry")] = "no-answer,busy,failed",
    retry_delay: Annotated[int, typer.Option(help="minutes before a retry")] = 30,
    max_attempts: Annotated[int, typer.Option(help="attempts per window")] = 3,
    rate: Annotated[float, typer.Option(help="calls started per second")] = 1.0,
    max_concurrent: Annotated[int, typer.Option(help="calls at once")] = 5,
    unreachable_after: Annotated[int, typer.Option(help="alert after N missed check-ins")] = 3,
    skip_bad_rows: Annotated[bool, typer.Option(help="import the good rows anyway")] = False,
) -> None:
    """Create a draft campaign with its people; bad CSV rows are listed with line numbers."""
    from agent.settings import get_settings
    from campaigns import manage

    spec = manage.CampaignSpec(
        name=name or people.stem,
        script=script,
        days=days,
        window=window,
        start_date=start_date,
        end_date=end_date,
        retry_outcomes=retry,
        retry_delay_minutes=retry_delay,
        max_attempts_per_window=max_attempts,
        calls_per_second=rate,
        max_concurrent=max_concurrent,
        unreachable_after=unreachable_after,
    )
    try:
        campaign_id, report = manage.create(
            _db(),
            spec,
            people.read_text(encoding="utf-8-sig"),
            region=get_settings().default_phone_region,
            skip_bad_rows=skip_bad_rows,
        )
    except (ValueError, LookupError) as exc:
        _fail_on(exc)
        return
    assert report is not None
    for error in report.skipped:
        typer.echo(f"skipped line {error.line}: {error.reason}", err=True)
    typer.echo(f"campaign {campaign_id} created (draft) with {report.imported} people")
    typer.echo(f"  start it:  anbu campaign start {campaign_id}")


def _set(campaign_id: int, state: str) -> None:
    from campaigns import manage

    try:
        status = manage.set_state(_db(), campaign_id, state)
    except (ValueError, LookupError) as exc:
        _fail_on(exc)
        return
    typer.echo(f"campaign {campaign_id} is {status['state']}")


@campaign_app.command("start")
def start(campaign_id: int) -> None:
    """Start (or resume) calling."""
    _set(campaign_id, "running")


@campaign_app.command("pause")
def pause(campaign_id: int) -> None:
    """Stop placing new calls; calls in progress finish."""
    _set(campaign_id, "paused")


@campaign_app.command("finish")
def finish(campaign_id: int) -> None:
    """End the campaign for good."""
    _set(campaign_id, "finished")


@campaign_app.command("status")
def status(campaign_id: int) -> None:
    """Settings, state and attempts by outcome, as JSON."""
    from campaigns import manage

    try:
        typer.echo(json.dumps(manage.status(_db(), campaign_id), indent=2))
    except LookupError as exc:
        _fail_on(exc)


@campaign_app.command("list")
def list_campaigns() -> None:
    """Every campaign, one per line."""
    from store import campaigns as campaign_store
    from store.db import session_scope

    with session_scope(_db()) as s:
        for c in campaign_store.list_campaigns(s):
            typer.echo(f"{c.id}\t{c.state}\t{c.days} {c.window_start}-{c.window_end}\t{c.name}")
