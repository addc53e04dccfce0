"""Configuration from TONGBAN_* environment variables, read when the app is created (never at import)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

# name, default, description (the README table is generated from this list: keep them in step)
SETTINGS: list[tuple[str, str, str]] = [
    (
        "TONGBAN_DATABASE_URL",
        "sqlite:///<DATA_DIR>/tongban.sqlite",
        "SQLAlchemy database URL (SQLite or postgresql+psycopg://…)",
    ),
    ("TONGBAN_SECRET_KEY", "dev-only key", "Flask session signing key; set it in production"),
    ("TONGBAN_DATA_DIR", "./var", "Where the SQLite file and the material file store live"),
    ("TONGBAN_PROCESSES_DIR", "./processes", "Service-item BPMN folders"),
    ("TONGBAN_FORMS_DIR", "./forms", "Form definitions (JSON Schema + UI hints)"),
    ("TONGBAN_DEMO_PASSWORD", "tongban-demo", "Password of every demo user created by seed-demo"),
    ("TONGBAN_TOKEN_TTL_HOURS", "12", "Lifetime of API bearer tokens"),
    ("TONGBAN_MAX_UPLOAD_MB", "20", "Largest accepted material upload"),
    ("TONGBAN_SESSION_MINUTES", "30", "Idle timeout of a browser session"),
    ("TONGBAN_SCHEDULER", "0", "1 = run the APScheduler jobs inside the web process (make run sets it)"),
    ("TONGBAN_SMTP_HOST", "", "SMTP server for alert e-mail (empty = e-mail off)"),
    ("TONGBAN_SMTP_PORT", "25", "SMTP port"),
    ("TONGBAN_MAIL_FROM", "noreply@tongban.local", "Sender address of alert e-mail"),
    ("TONGBAN_WEBHOOK_URL", "", "http(s) URL that receives every notification as a JSON POST (empty = off)"),
    (
        "TONGBAN_SMS_CHANNEL",
        "outbox",
        "SMS to applicants: outbox (stored in sms_outbox, development) | http | off",
    ),
    (
        "TONGBAN_SMS_GATEWAY_URL",
        "",
        "HTTP SMS gateway: POST {mobile, text} as JSON (TONGBAN_SMS_CHANNEL=http)",
    ),
    ("TONGBAN_SMS_GATEWAY_TOKEN", "", "Bearer token sent to the SMS gateway (empty = none)"),
    (
        "TONGBAN_PUBLIC_RATE_LIMIT",
        "30 per minute",
        "Per-address limit of public progress lookups, codes, registration, login",
    ),
]


@dataclass
class Settings:
    database_url: str
    secret_key: str
    data_dir: Path
    processes_dir: Path
    forms_dir: Path
    demo_password: str
    token_ttl_hours: int
    max_upload_mb: int
    session_minutes: int
    scheduler: bool
    smtp_host: str
    smtp_port: int
    mail_from: str
    webhook_url: str = ""
    sms_channel: str = "outbox"
    sms_gateway_url: str = ""
    sms_gateway_token: str = ""
    public_rate_limit: str = "30 per minute"
    extra: dict[str, Any] = field(default_factory=dict)


def load_settings(overrides: dict[str, Any] | None = None) -> Settings:
    env = dict(os.environ)
    env.update({k: str(v) for k, v in (overrides or {}).items() if k.startswith("TONGBAN_")})
    data_dir = Path(env.get("TONGBAN_DATA_DIR") or ROOT / "var").resolve()
    url = env.get("TONGBAN_DATABASE_URL") or f"sqlite:///{data_dir / 'tongban.sqlite'}"
    return Settings(
        database_url=url,
        secret_key=env.get("TONGBAN_SECRET_KEY") or "dev-only-insecure-key",
        data_dir=data_dir,
        processes_dir=Path(env.get("TONGBAN_PROCESSES_DIR") or ROOT / "processes").resolve(),
        forms_dir=Path(env.get("TONGBAN_FORMS_DIR") or ROOT / "forms").resolve(),
        demo_password=env.get("TONGBAN_DEMO_PASSWORD") or "tongban-demo",
        token_ttl_hours=int(env.get("TONGBAN_TOKEN_TTL_HOURS") or 12),
        max_upload_mb=int(env.get("TONGBAN_MAX_UPLOAD_MB") or 20),
        session_minutes=int(env.get("TONGBAN_SESSION_MINUTES") or 30),
        scheduler=(env.get("TONGBAN_SCHEDULER") or "0") == "1",
        smtp_host=env.get("TONGBAN_SMTP_HOST") or "",
        smtp_port=int(env.get("TONGBAN_SMTP_PORT") or 25),
        mail_from=env.get("TONGBAN_MAIL_FROM") or "noreply@tongban.local",
        webhook_url=env.get("TONGBAN_WEBHOOK_URL") or "",
        sms_channel=env.get("TONGBAN_SMS_CHANNEL") or "outbox",
        sms_gateway_url=env.get("TONGBAN_SMS_GATEWAY_URL") or "",
        sms_gateway_token=env.get("TONGBAN_SMS_GATEWAY_TOKEN") or "",
        public_rate_limit=env.get("TONGBAN_PUBLIC_RATE_LIMIT") or "30 per minute",
        extra={k: v for k, v in (overrides or {}).items() if not k.startswith("TONGBAN_")},
    )
