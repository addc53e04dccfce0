"""`flask users …`: accounts for production, where no demo user exists. Passwords are prompted
(never on the command line, where `ps` and the shell history would keep them)."""

from __future__ import annotations

import sys

import click

from app.services import credentials as accounts
from app.services.errors import DomainError


@click.group("users", help="User accounts.")
def command() -> None:
    pass


def _fail(exc: DomainError) -> None:
    click.echo(f"error: {exc.message}", err=True)
    for d in exc.details or []:
        if isinstance(d, dict):
            click.echo(f"  {d.get('field')}: {d.get('message')}", err=True)
    sys.exit(2)


@command.command("create")
@click.argument("username")
@click.option(
    "--role", required=True, help="applicant | clerk | reviewer | decider | supervisor | designer | admin"
)
@click.option("--name", "display_name", default="", help="display name")
@click.option("--department", default=None, help="department code (env, transport, admin …)")
@click.option("--email", default=None)
@click.password_option("--password", prompt=True, confirmation_prompt=True)
def create_cmd(
    username: str, role: str, display_name: str, department: str | None, email: str | None, password: str
):
    """Create an account; the password must pass the policy (8+ characters, 3 of 4 classes)."""
    try:
        accounts.create_user(
            None,
            username,
            password,
            role=role,
            display_name=display_name,
            department_code=department,
            email=email,
        )
    except DomainError as exc:
        _fail(exc)
    click.echo(f"user {username} created")


@command.command("set-password")
@click.argument("username")
@click.password_option("--password", prompt=True, confirmation_prompt=True)
def set_password_cmd(username: str, password: str) -> None:
    """Set a user's password; every session and bearer token of the user ends."""
    try:
        revoked = accounts.set_password(None, username, password)
    except DomainError as exc:
        _fail(exc)
    click.echo(
        f"password of {username} set; {revoked['sessions_revoked']} session(s) and "
        f"{revoked['tokens_revoked']} token(s) revoked"
    )


@command.command("unlock")
@click.argument("username")
def unlock_cmd(username: str) -> None:
    """Lift a lockout before it expires."""
    try:
        accounts.unlock_user(None, username)
    except DomainError as exc:
        _fail(exc)
    click.echo(f"user {username} unlocked")
