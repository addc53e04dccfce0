"""Flask CLI: one group or command per noun; each a thin call into a service."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from app.cli import (
        audit,
        backup,
        calendar,
        catalogue,
        cockpit,
        db,
        demo,
        jobs,
        org,
        scheduler,
        sms,
        users,
    )

    app.cli.add_command(db.db_group)
    app.cli.add_command(demo.seed)
    app.cli.add_command(demo.seed_demo)
    app.cli.add_command(users.command)
    app.cli.add_command(audit.command)
    app.cli.add_command(backup.command)
    app.cli.add_command(catalogue.validate_processes_cmd)
    app.cli.add_command(catalogue.list_items_cmd)
    app.cli.add_command(catalogue.deploy_item_cmd)
    app.cli.add_command(calendar.command)
    app.cli.add_command(cockpit.command)
    app.cli.add_command(scheduler.command)
    app.cli.add_command(sms.command)
    app.cli.add_command(jobs.command)
    app.cli.add_command(org.command)
