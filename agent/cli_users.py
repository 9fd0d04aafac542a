"""``anbu users``: operator accounts from the server's shell.

Passwords are read from a hidden prompt (or ``--password-stdin`` for scripts), never from a
command-line argument, which would land in shell history and ``ps``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import typer
from sqlalchemy import Engine

T = TypeVar("T")

users_app = typer.Typer(
    help="Operator accounts: add, list, passwords, API tokens.", no_args_is_help=True
)

PasswordStdin = Annotated[
    bool, typer.Option("--password-stdin", help="read the password from standard input")
]


def _engine() -> Engine:
    from agent.settings import get_settings
    from store.db import make_engine, upgrade

    settings = get_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.resolved_database_url)
    upgrade(engine)
    return engine


def _password(from_stdin: bool) -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    if len(password) < 8:
        typer.echo("error: the password must have at least 8 characters", err=True)
        raise typer.Exit(1)
    return password


def _run(action: Callable[..., T], *args: Any) -> T:
    from store.db import session_scope

    try:
        with session_scope(_engine()) as s:
            return action(s, *args)
    except (ValueError, LookupError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None


@users_app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="user name")],
    role: Annotated[str, typer.Option(help="admin or operator")] = "operator",
    password_stdin: PasswordStdin = False,
) -> None:
    """Add a user (asks for the password)."""
    from store import users

    password = _password(password_stdin)
    _run(lambda s: users.create_user(s, name, password, role=role))
    typer.echo(f"added {name} ({role})")


@users_app.command("list")
def list_() -> None:
    """Every user with role and status."""
    from store import users

    for user in _run(users.list_users):
        status = "disabled" if user.disabled else "active"
        token = "token" if user.api_token_hash else "-"
        typer.echo(f"{user.username}\t{user.role}\t{status}\t{token}")


@users_app.command("passwd")
def passwd(name: str, password_stdin: PasswordStdin = False) -> None:
    """Set a user's password (their open sessions end)."""
    from store import users

    password = _password(password_stdin)
    _run(users.set_password, name, password)
    typer.echo(f"password changed for {name}")


@users_app.command("disable")
def disable(name: str) -> None:
    """Stop a user logging in or using their token."""
    from store import users

    _run(users.set_disabled, name, True)
    typer.echo(f"disabled {name}")


@users_app.command("enable")
def enable(name: str) -> None:
    """Let a disabled user in again."""
    from store import users

    _run(users.set_disabled, name, False)
    typer.echo(f"enabled {name}")


@users_app.command("role")
def role(name: str, new_role: Annotated[str, typer.Argument(help="admin or operator")]) -> None:
    """Change a user's role."""
    from store import users

    _run(users.set_role, name, new_role)
    typer.echo(f"{name} is now {new_role}")


@users_app.command("token")
def token(name: str) -> None:
    """Issue an API bearer token (replaces the previous one); shown once, stored hashed."""
    from store import users

    typer.echo(_run(users.issue_api_token, name))


@users_app.command("revoke-token")
def revoke_token(name: str) -> None:
    """Forget a user's API token."""
    from store import users

    _run(users.revoke_api_token, name)
    typer.echo(f"token revoked for {name}")
