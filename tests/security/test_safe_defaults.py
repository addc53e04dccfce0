"""Safe defaults: production refuses a missing or weak secret key and never creates demo users;
development keeps a random key per data dir; the README table is the settings list."""

from __future__ import annotations

import os
import stat
import subprocess
import sys

import pytest

from app.config import ROOT, ConfigError, load_settings, markdown_table
from tests.security.conftest import STRONG_KEY


@pytest.fixture(autouse=True)
def _no_ambient_key(monkeypatch):
    monkeypatch.delenv("TONGBAN_SECRET_KEY", raising=False)
    monkeypatch.delenv("TONGBAN_ENV", raising=False)


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    from app import create_app

    with pytest.raises(ConfigError, match="TONGBAN_SECRET_KEY is not set"):
        create_app({"TONGBAN_ENV": "production", "TONGBAN_DATA_DIR": str(tmp_path)})


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        ("dev-only-insecure-key", "shorter than 32"),
        ("test-secret-test-secret-test-secret-1", "well-known development value"),
        ("a" * 64, "fewer than 10 distinct characters"),
    ],
)
def test_production_refuses_a_weak_secret_key(tmp_path, key, reason):
    with pytest.raises(ConfigError, match=reason):
        load_settings(
            {"TONGBAN_ENV": "production", "TONGBAN_SECRET_KEY": key, "TONGBAN_DATA_DIR": str(tmp_path)}
        )


def test_production_accepts_a_strong_key_and_writes_no_key_file(tmp_path):
    settings = load_settings(
        {"TONGBAN_ENV": "production", "TONGBAN_SECRET_KEY": STRONG_KEY, "TONGBAN_DATA_DIR": str(tmp_path)}
    )
    assert settings.production and settings.secret_key == STRONG_KEY
    assert not (tmp_path / "secret_key").exists()


def test_development_creates_one_random_key_per_data_dir_readable_by_the_owner_only(tmp_path):
    first = load_settings({"TONGBAN_DATA_DIR": str(tmp_path / "a")}).secret_key
    again = load_settings({"TONGBAN_DATA_DIR": str(tmp_path / "a")}).secret_key
    other = load_settings({"TONGBAN_DATA_DIR": str(tmp_path / "b")}).secret_key
    assert first == again != other
    assert len(first) >= 32 and first != "dev-only-insecure-key"
    mode = stat.S_IMODE(os.stat(tmp_path / "a" / "secret_key").st_mode)
    assert mode == 0o600


def test_an_unknown_environment_name_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="TONGBAN_ENV"):
        load_settings({"TONGBAN_ENV": "prod", "TONGBAN_DATA_DIR": str(tmp_path)})


def test_seed_demo_is_refused_in_production_and_creates_no_user(make_app):
    from sqlalchemy import func, select

    from app.models import Session, User

    prod = make_app(TONGBAN_ENV="production", TONGBAN_SECRET_KEY=STRONG_KEY)
    before = Session.scalar(select(func.count()).select_from(User))
    with prod.app_context():
        result = prod.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 2
    assert "never created in production" in result.output
    Session.remove()
    assert Session.scalar(select(func.count()).select_from(User)) == before


def test_the_demo_user_service_refuses_in_production(make_app):
    from app.services.errors import DomainError
    from app.services.users import seed_demo_users

    prod = make_app(TONGBAN_ENV="production", TONGBAN_SECRET_KEY=STRONG_KEY)
    with prod.app_context(), pytest.raises(DomainError) as err:
        seed_demo_users("Tongban#2026")
    assert err.value.code == "demo_users_in_production"


def test_production_sends_hsts_and_a_secure_host_only_cookie(make_app, account):
    from tests.conftest import DEMO_PASSWORD

    prod = make_app(TONGBAN_ENV="production", TONGBAN_SECRET_KEY=STRONG_KEY)
    client = prod.test_client()
    page = client.get("/login", base_url="https://tongban.example")
    assert page.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    with client.session_transaction(base_url="https://tongban.example") as sess:
        token = sess["csrf"]
    resp = client.post(
        "/login",
        data={"username": account, "password": DEMO_PASSWORD, "csrf_token": token},
        base_url="https://tongban.example",
    )
    assert resp.status_code == 302
    cookie = resp.headers["Set-Cookie"]
    assert cookie.startswith("__Host-tongban=") and "Secure" in cookie and "HttpOnly" in cookie


def test_development_sends_no_hsts(client):
    assert "Strict-Transport-Security" not in client.get("/login").headers


def _gunicorn(env: dict[str, str], tmp_path) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith("TONGBAN_")}
    return subprocess.run(
        [str(ROOT / ".venv/bin/gunicorn") if (ROOT / ".venv/bin/gunicorn").exists() else "gunicorn"]
        + ["-w", "1", "-b", "127.0.0.1:0", "--timeout", "20", "app:create_app()"],
        cwd=ROOT,
        env={**base, "TONGBAN_DATA_DIR": str(tmp_path), **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_gunicorn_without_a_secret_key_does_not_start(tmp_path):
    """Under gunicorn the app is in production even without TONGBAN_ENV: no key, no server."""
    proc = _gunicorn({}, tmp_path)
    assert proc.returncode != 0
    assert "TONGBAN_SECRET_KEY is not set" in proc.stderr
    assert not (tmp_path / "secret_key").exists()


def test_make_serve_runs_in_production_without_demo_users():
    dry = subprocess.run(
        ["make", "-n", "serve"], cwd=ROOT, capture_output=True, text=True, check=True, env={**os.environ}
    ).stdout
    assert "TONGBAN_ENV=production" in dry
    assert "seed-demo" not in dry and "seed" in dry


def test_the_readme_configuration_table_is_generated_from_the_settings_list():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert markdown_table() in readme, "README out of step: paste the output of `python -m app.config`"


def test_python_m_app_config_prints_the_table():
    out = subprocess.run(
        [sys.executable, "-m", "app.config"], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == markdown_table()
