"""`flask --app app sms outbox`: the development SMS outbox (what would have been sent)."""

from __future__ import annotations

import click

from app.services import channels
from app.services.sms import outbox


@click.group("sms")
def command() -> None:
    """SMS to applicants."""


@command.command("outbox")
@click.option("--mobile", default=None, help="only messages to this number")
@click.option("--limit", default=20, show_default=True)
def outbox_cmd(mobile: str | None, limit: int) -> None:
    """Print the latest messages of the development outbox (TONGBAN_SMS_CHANNEL=outbox)."""
    rows = outbox(mobile, limit)
    for row in rows:
        click.echo(f"{row.created_at:%Y-%m-%d %H:%M:%S}  {row.mobile}  {row.body}")
    if not rows:
        click.echo("(empty)")


@command.command("deliver")
def deliver_cmd() -> None:
    """Deliver the SMS and e-mail to applicants that are due now (the scheduler does this every minute)."""
    click.echo(channels.deliver())
