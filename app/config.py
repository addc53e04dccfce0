"""Configuration from TONGBAN_* environment variables, read when the app is created (never at import).

`SETTINGS` is the one list of variables: the README's configuration table is generated from it
(`python -m app.config` prints the table; a test keeps the README in step).
"""

from __future__ import annotations

import os
import secrets
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

DEV_SECRET_FILE = "secret_key"  # noqa: S105 - a file name, not a secret
MIN_SECRET_LENGTH = 32

# name, default, description (the README table is generated from this list: keep them in step)
SETTINGS: list[tuple[str, str, str]] = [
    (
        "TONGBAN_ENV",
        "`development`; `production` under gunicorn",
        "`production` (`make serve`, gunicorn) refuses to start without a strong secret key, never "
        "creates demo users, sends HSTS and marks cookies `Secure`",
    ),
    (
        "TONGBAN_SECRET_KEY",
        "random, kept in `<DATA_DIR>/secret_key` (development only)",
        f"signs browser sessions; **required in production**: at least {MIN_SECRET_LENGTH} characters, "
        "not a repeated or well-known value (`python -c 'import secrets; print(secrets.token_urlsafe(48))'`)",
    ),
    (
        "TONGBAN_DATABASE_URL",
        "`sqlite:///<DATA_DIR>/tongban.sqlite`",
        "SQLAlchemy URL; PostgreSQL: `postgresql+psycopg://user@host/db`",
    ),
    (
        "TONGBAN_DB_POOL_SIZE",
        "`10`",
        'PostgreSQL connections kept open per process (see "Production server" for sizes by core count)',
    ),
    (
        "TONGBAN_DB_MAX_OVERFLOW",
        "`20`",
        "extra PostgreSQL connections a process may open under a burst (closed when returned)",
    ),
    (
        "TONGBAN_DB_POOL_RECYCLE",
        "`1800`",
        "seconds after which a pooled connection is replaced (below any server or firewall idle timeout)",
    ),
    (
        "TONGBAN_DATA_DIR",
        "`./var`",
        "SQLite file, the material file store (content-addressed), the dev secret key",
    ),
    ("TONGBAN_PROCESSES_DIR", "`./processes`", "service-item folders"),
    ("TONGBAN_FORMS_DIR", "`./forms`", "task forms (JSON Schema + UI hints)"),
    (
        "TONGBAN_DEMO_PASSWORD",
        "`tongban-demo-2026`",
        "password of the users created by `seed-demo` (development only; must pass the password policy)",
    ),
    ("TONGBAN_TOKEN_TTL_HOURS", "`12`", "lifetime of API bearer tokens"),
    (
        "TONGBAN_TOKEN_CACHE_SECONDS",
        "`10`",
        "how long a worker trusts a bearer token it has checked; a revoked token is refused at once by the "
        "worker that revoked it and by every other worker within this time",
    ),
    ("TONGBAN_MAX_UPLOAD_MB", "`20`", "largest material upload (413 above it)"),
    ("TONGBAN_SESSION_MINUTES", "`30`", "idle timeout of a browser session"),
    ("TONGBAN_SESSION_MAX_HOURS", "`8`", "absolute lifetime of a browser session, however active"),
    ("TONGBAN_LOCKOUT_THRESHOLD", "`5`", "consecutive wrong passwords that lock an account"),
    ("TONGBAN_LOCKOUT_MINUTES", "`15`", "how long a locked account stays locked"),
    (
        "TONGBAN_LOGIN_RATE_LIMIT",
        "`10 per minute;50 per hour`",
        "login attempts per client address on `/login` and `/api/v1/auth/token` together (Flask-Limiter syntax)",
    ),
    (
        "TONGBAN_RATELIMIT_STORAGE_URL",
        "`memory://`",
        "where the rate limiter counts; in production with several workers `redis://127.0.0.1:6379/0` so that "
        "they count together",
    ),
    (
        "TONGBAN_TRUSTED_PROXIES",
        "`0`",
        "number of reverse proxies in front whose `X-Forwarded-For`/`-Proto` are believed (client address "
        "for rate limits and the audit trail)",
    ),
    ("TONGBAN_HSTS_SECONDS", "`31536000`", "`Strict-Transport-Security` max-age in production"),
    (
        "TONGBAN_SCRIPT_MEMORY_MB",
        "`64`",
        "memory one BPMN script or condition may allocate before it is stopped",
    ),
    (
        "TONGBAN_SCRIPT_MAX_ITEMS",
        "`1000000`",
        "largest sequence, string or formatted width one script operation may produce, and the expanded size of "
        "the data a script leaves behind",
    ),
    ("TONGBAN_BACKUP_DIR", "`<DATA_DIR>/backups`", "where `flask backup create` writes backups"),
    ("TONGBAN_SCHEDULER", "`0`", "`1` runs the scheduler inside the web process (`make run` sets it)"),
    (
        "TONGBAN_JOBS",
        "`procrastinate` in production on PostgreSQL, else `inprocess`",
        "background deliveries (e-mail, webhook, SMS, licence PDFs, supervision reports): `procrastinate` queues a job in the same "
        "transaction and `flask jobs worker` runs it (PostgreSQL only); `inprocess`: the scheduler's jobs deliver "
        'from the rows (README, "Background jobs")',
    ),
    (
        "TONGBAN_JOB_MAX_ATTEMPTS",
        "`5`",
        "runs of a failing job (the first included) before it is a dead letter",
    ),
    (
        "TONGBAN_JOB_BACKOFF_SECONDS",
        "`10`",
        "wait before the first retry of a failed job; each further retry waits twice as long (10, 20, 40, 80 s)",
    ),
    ("TONGBAN_SMTP_HOST", "empty", "SMTP server for alert e-mail (empty: in-app only)"),
    ("TONGBAN_SMTP_PORT", "`25`", "SMTP port"),
    ("TONGBAN_MAIL_FROM", "`noreply@tongban.local`", "sender of alert e-mail"),
    (
        "TONGBAN_WEBHOOK_URL",
        "empty",
        "http(s) URL that receives every notification as a JSON POST (empty: off)",
    ),
    ("TONGBAN_CJK_FONT", "found under /usr/share/fonts", "a .ttf/.ttc with Chinese glyphs for PDF documents"),
    (
        "TONGBAN_SMS_CHANNEL",
        "`outbox`",
        "SMS to applicants: `outbox` (stored in the `sms_outbox` table, development), `http`, `off`",
    ),
    (
        "TONGBAN_SMS_GATEWAY_URL",
        "empty",
        'HTTP SMS gateway (`http` channel): POST `{"mobile", "text"}` as JSON; 2xx = delivered unless the body '
        'says `{"ok": false}`',
    ),
    ("TONGBAN_SMS_GATEWAY_TOKEN", "empty", "sent as `Authorization: Bearer …` to the gateway"),
    (
        "TONGBAN_PUBLIC_RATE_LIMIT",
        "`30 per minute`",
        "per client address: progress lookups (page + API share one counter), and codes/registration/public "
        "login (another)",
    ),
    (
        "TONGBAN_LICENCE_KEY_DIR",
        "`<DATA_DIR>/licence-keys`",
        "each department's SM2 key pair (`sm2.json`) and PDF signing certificate (`pades-key.pem`, "
        "`pades-cert.pem`); missing ones are created as demo keys on first use outside production; production refuses to "
        'issue until the real ones are there (README, "E-licences")',
    ),
    (
        "TONGBAN_PUBLIC_URL",
        "`http://127.0.0.1:5000`",
        "the portal's public address, printed in the licence PDF's 2-D code (verification page)",
    ),
]

# Values that must never sign production sessions (the old built-in default, examples from docs).
KNOWN_WEAK_SECRETS = frozenset(
    {"dev-only-insecure-key", "test-secret", "secret", "changeme", "change-me", "bench", "tongban"}
)


class ConfigError(RuntimeError):
    """The configuration is unsafe or invalid; the app refuses to start."""


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
    env: str = "development"
    session_max_hours: float = 8
    lockout_threshold: int = 5
    lockout_minutes: float = 15
    login_rate_limit: str = "10 per minute;50 per hour"
    ratelimit_storage_url: str = "memory://"
    trusted_proxies: int = 0
    hsts_seconds: int = 31536000
    token_cache_seconds: float = 10
    script_memory_mb: int = 64
    script_max_items: int = 1_000_000
    backup_dir: Path | None = None
    webhook_url: str = ""
    sms_channel: str = "outbox"
    sms_gateway_url: str = ""
    sms_gateway_token: str = ""
    public_rate_limit: str = "30 per minute"
    licence_key_dir: Path | None = None
    public_url: str = "http://127.0.0.1:5000"
    db_pool_size: int = 10
    db_max_overflow: int = 20
    db_pool_recycle: int = 1800
    jobs: str = "inprocess"
    job_max_attempts: int = 5
    job_backoff_seconds: float = 10
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def production(self) -> bool:
        return self.env == "production"


def under_gunicorn() -> bool:
    """True inside a gunicorn worker (gunicorn imports its arbiter before loading the app)."""
    return "gunicorn.arbiter" in sys.modules


def secret_key_problems(key: str) -> list[str]:
    """Why KEY may not sign production sessions (empty list: it may)."""
    problems = []
    if len(key) < MIN_SECRET_LENGTH:
        problems.append(f"shorter than {MIN_SECRET_LENGTH} characters")
    if key in KNOWN_WEAK_SECRETS or key.lower().startswith(("dev-", "test-", "changeme")):
        problems.append("a well-known development value")
    if len(set(key)) < 10:
        problems.append("fewer than 10 distinct characters")
    return problems


def _dev_secret(data_dir: Path) -> str:
    """The per-install random key of a development data dir, created on first use (mode 0600)."""
    path = data_dir / DEV_SECRET_FILE
    try:
        key = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        key = ""
    if len(key) >= MIN_SECRET_LENGTH:
        return key
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(key + "\n")
    return key


def load_settings(overrides: dict[str, Any] | None = None) -> Settings:
    env = dict(os.environ)
    env.update({k: str(v) for k, v in (overrides or {}).items() if k.startswith("TONGBAN_")})
    data_dir = Path(env.get("TONGBAN_DATA_DIR") or ROOT / "var").resolve()
    url = env.get("TONGBAN_DATABASE_URL") or f"sqlite:///{data_dir / 'tongban.sqlite'}"
    mode = (env.get("TONGBAN_ENV") or ("production" if under_gunicorn() else "development")).lower()
    if mode not in ("development", "production"):
        raise ConfigError(f"TONGBAN_ENV must be 'development' or 'production', not {mode!r}")
    secret = env.get("TONGBAN_SECRET_KEY") or ""
    if mode == "production":
        if not secret:
            raise ConfigError(
                "TONGBAN_SECRET_KEY is not set: production refuses to start without a strong secret key "
                "(python -c 'import secrets; print(secrets.token_urlsafe(48))')"
            )
        problems = secret_key_problems(secret)
        if problems:
            raise ConfigError("TONGBAN_SECRET_KEY is too weak for production: " + "; ".join(problems))
    elif not secret:
        secret = _dev_secret(data_dir)
    backup_dir = env.get("TONGBAN_BACKUP_DIR")
    jobs = (env.get("TONGBAN_JOBS") or "").lower() or (
        "procrastinate" if mode == "production" and url.startswith("postgresql") else "inprocess"
    )
    if jobs not in ("inprocess", "procrastinate"):
        raise ConfigError(f"TONGBAN_JOBS must be 'inprocess' or 'procrastinate', not {jobs!r}")
    if jobs == "procrastinate" and not url.startswith("postgresql"):
        raise ConfigError(
            "TONGBAN_JOBS=procrastinate needs PostgreSQL (TONGBAN_DATABASE_URL=postgresql+psycopg://…)"
        )
    max_attempts = int(env.get("TONGBAN_JOB_MAX_ATTEMPTS") or 5)
    if not 1 <= max_attempts <= 50:
        raise ConfigError(f"TONGBAN_JOB_MAX_ATTEMPTS must be between 1 and 50, not {max_attempts}")
    return Settings(
        database_url=url,
        secret_key=secret,
        data_dir=data_dir,
        processes_dir=Path(env.get("TONGBAN_PROCESSES_DIR") or ROOT / "processes").resolve(),
        forms_dir=Path(env.get("TONGBAN_FORMS_DIR") or ROOT / "forms").resolve(),
        demo_password=env.get("TONGBAN_DEMO_PASSWORD") or "tongban-demo-2026",
        token_ttl_hours=int(env.get("TONGBAN_TOKEN_TTL_HOURS") or 12),
        max_upload_mb=int(env.get("TONGBAN_MAX_UPLOAD_MB") or 20),
        session_minutes=int(env.get("TONGBAN_SESSION_MINUTES") or 30),
        scheduler=(env.get("TONGBAN_SCHEDULER") or "0") == "1",
        smtp_host=env.get("TONGBAN_SMTP_HOST") or "",
        smtp_port=int(env.get("TONGBAN_SMTP_PORT") or 25),
        mail_from=env.get("TONGBAN_MAIL_FROM") or "noreply@tongban.local",
        env=mode,
        session_max_hours=float(env.get("TONGBAN_SESSION_MAX_HOURS") or 8),
        lockout_threshold=int(env.get("TONGBAN_LOCKOUT_THRESHOLD") or 5),
        lockout_minutes=float(env.get("TONGBAN_LOCKOUT_MINUTES") or 15),
        login_rate_limit=env.get("TONGBAN_LOGIN_RATE_LIMIT") or "10 per minute;50 per hour",
        ratelimit_storage_url=env.get("TONGBAN_RATELIMIT_STORAGE_URL") or "memory://",
        trusted_proxies=int(env.get("TONGBAN_TRUSTED_PROXIES") or 0),
        hsts_seconds=int(env.get("TONGBAN_HSTS_SECONDS") or 31536000),
        token_cache_seconds=float(env.get("TONGBAN_TOKEN_CACHE_SECONDS") or 10),
        script_memory_mb=int(env.get("TONGBAN_SCRIPT_MEMORY_MB") or 64),
        script_max_items=int(env.get("TONGBAN_SCRIPT_MAX_ITEMS") or 1_000_000),
        backup_dir=Path(backup_dir).resolve() if backup_dir else data_dir / "backups",
        webhook_url=env.get("TONGBAN_WEBHOOK_URL") or "",
        sms_channel=env.get("TONGBAN_SMS_CHANNEL") or "outbox",
        sms_gateway_url=env.get("TONGBAN_SMS_GATEWAY_URL") or "",
        sms_gateway_token=env.get("TONGBAN_SMS_GATEWAY_TOKEN") or "",
        public_rate_limit=env.get("TONGBAN_PUBLIC_RATE_LIMIT") or "30 per minute",
        licence_key_dir=Path(env["TONGBAN_LICENCE_KEY_DIR"]).resolve()
        if env.get("TONGBAN_LICENCE_KEY_DIR")
        else data_dir / "licence-keys",
        public_url=(env.get("TONGBAN_PUBLIC_URL") or "http://127.0.0.1:5000").rstrip("/"),
        db_pool_size=int(env.get("TONGBAN_DB_POOL_SIZE") or 10),
        db_max_overflow=int(env.get("TONGBAN_DB_MAX_OVERFLOW") or 20),
        db_pool_recycle=int(env.get("TONGBAN_DB_POOL_RECYCLE") or 1800),
        jobs=jobs,
        job_max_attempts=max_attempts,
        job_backoff_seconds=float(env.get("TONGBAN_JOB_BACKOFF_SECONDS") or 10),
        extra={k: v for k, v in (overrides or {}).items() if not k.startswith("TONGBAN_")},
    )


def markdown_table() -> str:
    """The README's configuration table, from SETTINGS."""
    lines = ["| variable | default | meaning |", "|---|---|---|"]
    lines += [f"| `{name}` | {default} | {meaning} |" for name, default, meaning in SETTINGS]
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown_table())
