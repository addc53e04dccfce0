"""The issuing departments' keys: an SM2 key pair (国密, GB/T 32918) per department for the licence
records, and an X.509 certificate with its key for the PAdES signature of the licence PDF.

Where they live: ``TONGBAN_LICENCE_KEY_DIR`` (default ``<DATA_DIR>/licence-keys``), one folder per
department code:

- ``sm2.json`` — ``{"private": hex, "public": hex (04‖x‖y without the 04), "key_id": …}``, mode 0600;
- ``pades-key.pem`` and ``pades-cert.pem`` — the PDF signing key and certificate.

When a department has none yet, both are created on first use outside production (production
refuses to issue with a made-up key: 409 ``licence_key_missing``) (that is the set-up: ``make run`` and
``make test`` need no manual step) and the certificate says it is a demo certificate
(``O=DEMO 演示证书 …``). In production, put the department's real SM2 key pair and its certificate
and key from the CA into that folder before the first licence is issued; ``flask licences keys`` lists
what is there. Rotated keys: move the old ``sm2.json`` to ``sm2-<key_id>.json`` — records keep their
``key_id`` and are verified with the key that signed them.

Creation is race-free: files are written to a temporary name and linked into place with ``os.link``
(which fails if another worker got there first; the loser reads the winner's key).
"""

from __future__ import annotations

import json
import os
import secrets
import tempfile
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from app.services.context import ctx
from app.services.errors import Conflict
from app.services.i18n import t

_lock = threading.Lock()
_cache: dict[tuple[str, str], Any] = {}


@dataclass(frozen=True)
class Sm2Key:
    key_id: str
    private: str
    public: str


def key_root() -> Path:
    settings = ctx().settings
    return settings.licence_key_dir or settings.data_dir / "licence-keys"


def _folder(department: str) -> Path:
    if not department.isidentifier():
        raise ValueError(f"bad department code {department!r}")
    path = key_root() / department
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def _publish(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` unless it exists (another process won the race: keep theirs)."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o600)
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
    finally:
        os.unlink(tmp)


# -- SM2 ------------------------------------------------------------------------------------------


def sm3_hex(data: bytes) -> str:
    from gmssl import func, sm3

    return str(sm3.sm3_hash(func.bytes_to_list(data)))


def _new_sm2() -> dict[str, str]:
    from gmssl import sm2

    n = int(sm2.default_ecc_table["n"], 16)
    d = secrets.randbelow(n - 1) + 1
    private = f"{d:064x}"
    public = sm2.CryptSM2(private_key=private, public_key="")._kg(d, sm2.default_ecc_table["g"])
    return {"private": private, "public": public, "key_id": sm3_hex(bytes.fromhex(public))[:16]}


def _read_sm2(path: Path) -> Sm2Key:
    raw = json.loads(path.read_text(encoding="utf-8"))
    return Sm2Key(raw["key_id"], raw["private"], raw["public"])


def _no_demo_keys_in_production(department: str, path: Path) -> None:
    """Production never makes up a key: a licence signed by a demo key would verify as genuine."""
    if ctx().settings.production:
        raise Conflict(
            t(
                "部门 %(department)s 尚未安装电子证照签名密钥（%(path)s），请管理员按 README“电子证照”一节安装后再发证",
                department=department,
                path=str(path),
            ),
            code="licence_key_missing",
        )


def department_sm2(department: str) -> Sm2Key:
    """The department's current SM2 key, created (once, race-free) when it has none."""
    with _lock:
        hit = _cache.get(("sm2", department))
        if hit is not None:
            return hit
        path = _folder(department) / "sm2.json"
        if not path.exists():
            _no_demo_keys_in_production(department, path)
            _publish(path, json.dumps(_new_sm2()).encode())
        key = _read_sm2(path)
        _cache[("sm2", department)] = key
        return key


def sm2_key_by_id(department: str, key_id: str) -> Sm2Key | None:
    """The (current or rotated) key with this id, or None."""
    current = department_sm2(department)
    if current.key_id == key_id:
        return current
    old = _folder(department) / f"sm2-{key_id}.json"
    return _read_sm2(old) if old.exists() else None


def sm2_sign(key: Sm2Key, message: bytes) -> str:
    """SM2 signature (GB/T 32918.2: e = SM3(Z_A ‖ M)) of ``message``, as 128 hex digits (r ‖ s)."""
    from gmssl import sm2

    return str(sm2.CryptSM2(private_key=key.private, public_key=key.public).sign_with_sm3(message))


def sm2_verify(public: str, signature: str, message: bytes) -> bool:
    from gmssl import sm2

    if len(signature) != 128 or any(c not in "0123456789abcdef" for c in signature):
        return False
    try:
        return bool(sm2.CryptSM2(private_key="", public_key=public).verify_with_sm3(signature, message))
    except (ValueError, ZeroDivisionError):
        return False


# -- the PDF signing certificate --------------------------------------------------------------------


def _new_certificate(department: str, name: str) -> tuple[bytes, bytes]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "DEMO 演示证书（非 CA 签发，不具法律效力）"),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, department),
            x509.NameAttribute(NameOID.COMMON_NAME, f"{name} 电子证照签章（演示）"),
        ]
    )
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=3650))
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return key_pem, cert.public_bytes(serialization.Encoding.PEM)


def pades_files(department: str, name: str) -> tuple[Path, Path]:
    """Paths of the department's PDF signing key and certificate, created when missing."""
    folder = _folder(department)
    key_path, cert_path = folder / "pades-key.pem", folder / "pades-cert.pem"
    with _lock:
        if not cert_path.exists():
            _no_demo_keys_in_production(department, cert_path)
            key_pem, cert_pem = _new_certificate(department, name)
            _publish(key_path, key_pem)
            if key_path.read_bytes() == key_pem:  # we won the race: our certificate goes with our key
                _publish(cert_path, cert_pem)
        return key_path, cert_path


def describe_keys() -> list[dict[str, Any]]:
    """What key folders hold (for ``flask licences keys``): department, SM2 key id, certificate subject."""
    from cryptography import x509

    out = []
    root = key_root()
    for folder in sorted(p for p in root.iterdir() if p.is_dir()) if root.exists() else []:
        row: dict[str, Any] = {"department": folder.name, "sm2_key_id": None, "certificate": None}
        if (folder / "sm2.json").exists():
            row["sm2_key_id"] = _read_sm2(folder / "sm2.json").key_id
        if (folder / "pades-cert.pem").exists():
            cert = x509.load_pem_x509_certificate((folder / "pades-cert.pem").read_bytes())
            row["certificate"] = cert.subject.rfc4514_string()
        out.append(row)
    return out


def clear_cache() -> None:
    with _lock:
        _cache.clear()
