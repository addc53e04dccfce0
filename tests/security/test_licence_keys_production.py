"""Production never signs a licence with a key it made up: a missing department key is a clear 409."""

from __future__ import annotations

import pytest

from tests.security.conftest import STRONG_KEY


def test_production_refuses_to_create_a_demo_licence_key_and_writes_nothing(make_app, tmp_path):
    from app.services import licence_keys
    from app.services.errors import Conflict

    prod = make_app(
        TONGBAN_ENV="production",
        TONGBAN_SECRET_KEY=STRONG_KEY,
        TONGBAN_LICENCE_KEY_DIR=str(tmp_path / "keys"),
    )
    with prod.app_context():
        licence_keys.clear_cache()
        with pytest.raises(Conflict) as sm2:
            licence_keys.department_sm2("env")
        with pytest.raises(Conflict) as pades:
            licence_keys.pades_files("env", "厦门市生态环境局")
    assert sm2.value.code == pades.value.code == "licence_key_missing"
    assert "env" in str(sm2.value) and "README" in str(sm2.value)
    assert not [p for p in (tmp_path / "keys").rglob("*") if p.is_file()]


def test_outside_production_a_missing_key_is_created_once_as_a_demo_key(make_app, tmp_path):
    from app.services import licence_keys

    dev = make_app(TONGBAN_LICENCE_KEY_DIR=str(tmp_path / "keys"))
    with dev.app_context():
        licence_keys.clear_cache()
        first = licence_keys.department_sm2("env")
        licence_keys.clear_cache()
        again = licence_keys.department_sm2("env")
        key_path, cert_path = licence_keys.pades_files("env", "厦门市生态环境局")
    assert first == again and len(first.public) == 128
    assert b"DEMO" in cert_path.read_bytes() or "DEMO" in _subject(cert_path)
    licence_keys.clear_cache()


def _subject(cert_path) -> str:
    from cryptography import x509

    return x509.load_pem_x509_certificate(cert_path.read_bytes()).subject.rfc4514_string()
