"""Applicant accounts: self-registration with a verified mobile, and the public login.

A natural person registers with name, 18-digit resident ID (GB 11643 check digit) and mobile; a legal
entity with its name, unified social credit code (GB 32100 check character), legal representative,
contact person and mobile. The mobile is proved by a 6-digit code sent over the SMS channel (valid
10 minutes, 5 tries, one new code per minute). The login name of an applicant is the mobile number;
the public login also accepts the ID number / USCC.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select

from app.models import ApplicantProfile, MobileVerification, Session, User, utcnow
from app.services import channels
from app.services.auth import Actor, authenticate, hash_password
from app.services.context import ctx
from app.services.errors import Conflict, DomainError, Unauthorized, ValidationFailed
from app.services.i18n import t
from app.services.passwords import check_password
from engine.identity import validate_resident_id, validate_uscc

MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s]{2,}$")
CODE_TTL = timedelta(minutes=10)
RESEND_AFTER = timedelta(seconds=60)
MAX_CODE_TRIES = 5
PURPOSES = ("register",)
FIELDS = {
    "kind",
    "name",
    "id_no",
    "mobile",
    "code",
    "password",
    "legal_representative",
    "contact_name",
    "email",
}


class TooSoon(DomainError):
    status = 429
    code = "code_too_soon"


@dataclass(frozen=True)
class CodeSent:
    mobile: str
    expires_at: datetime
    resend_after: datetime


def _code_hash(mobile: str, purpose: str, code: str) -> str:
    key = ctx().settings.secret_key.encode()
    return hmac.new(key, f"{purpose}:{mobile}:{code}".encode(), hashlib.sha256).hexdigest()


def _mobile(value: Any) -> str:
    mobile = "".join(str(value or "").split())
    if not MOBILE_RE.match(mobile):
        raise ValidationFailed(
            t("手机号码格式不正确"),
            [{"field": "mobile", "message": t("请输入 11 位手机号码")}],
        )
    return mobile


def _mobile_taken(mobile: str) -> bool:
    return (
        Session.scalar(select(ApplicantProfile.user_id).where(ApplicantProfile.mobile == mobile)) is not None
        or Session.scalar(select(User.id).where(User.username == mobile)) is not None
    )


def request_mobile_code(mobile: Any, purpose: str = "register", now: datetime | None = None) -> CodeSent:
    """Send a verification code by SMS; the code is queued and committed, then delivered at once."""
    now = now or utcnow()
    if purpose not in PURPOSES:
        raise ValidationFailed("unknown purpose", [{"field": "purpose", "message": "register"}])
    mobile = _mobile(mobile)
    if purpose == "register" and _mobile_taken(mobile):
        raise Conflict(t("该手机号码已注册，请直接登录"), code="mobile_taken")
    last = Session.scalar(
        select(MobileVerification.created_at)
        .where(MobileVerification.mobile == mobile, MobileVerification.purpose == purpose)
        .order_by(MobileVerification.created_at.desc())
        .limit(1)
    )
    if last is not None and now - last < RESEND_AFTER:
        wait = int((RESEND_AFTER - (now - last)).total_seconds()) + 1
        raise TooSoon(
            t("验证码已发送，请 %(wait)s 秒后再试", wait=wait),
            [{"field": "mobile", "message": f"{wait} s"}],
        )
    code = f"{secrets.randbelow(10**6):06d}"
    Session.add(
        MobileVerification(
            mobile=mobile,
            purpose=purpose,
            code_hash=_code_hash(mobile, purpose, code),
            created_at=now,
            expires_at=now + CODE_TTL,
        )
    )
    text = f"【通办】您的注册验证码为 {code}，10 分钟内有效。请勿将验证码告诉他人。"
    message = channels.enqueue_sms(mobile, text, "verify_mobile")
    Session.commit()
    channels.deliver_soon([message.id], now)
    return CodeSent(mobile, now + CODE_TTL, now + RESEND_AFTER)


def _text(payload: Mapping[str, Any], key: str, problems: list, *, required: bool, max_len: int) -> str:
    raw = payload.get(key)
    value = raw.strip() if isinstance(raw, str) else ""
    if raw is not None and not isinstance(raw, str):
        problems.append({"field": key, "message": t("必须是文字")})
    elif required and not value:
        problems.append({"field": key, "message": t("必填")})
    elif len(value) > max_len:
        problems.append({"field": key, "message": t("最长 %(max_len)s 字", max_len=max_len)})
    return value


def _validate_registration(payload: Any) -> dict[str, Any]:
    if not isinstance(payload, Mapping):
        raise ValidationFailed(t("请求体必须是对象"), [{"field": "(body)", "message": ""}])
    problems: list[dict[str, str]] = []
    for key in sorted(set(payload) - FIELDS):
        problems.append({"field": key, "message": t("不允许的字段")})
    kind = payload.get("kind")
    if kind not in ("person", "entity"):
        problems.append({"field": "kind", "message": t("须为自然人或法人")})
    name = _text(payload, "name", problems, required=True, max_len=100)
    entity = kind == "entity"
    legal_rep = _text(payload, "legal_representative", problems, required=entity, max_len=50)
    contact = _text(payload, "contact_name", problems, required=entity, max_len=50)
    email = _text(payload, "email", problems, required=False, max_len=255)
    if email and not EMAIL_RE.match(email):
        problems.append({"field": "email", "message": t("电子邮箱格式不正确")})
    id_no: str = payload["id_no"] if isinstance(payload.get("id_no"), str) else ""
    try:
        if kind == "person":
            id_no = validate_resident_id(id_no)
        elif entity:
            id_no = validate_uscc(id_no)
    except ValueError as exc:
        problems.append({"field": "id_no", "message": str(exc)})
    mobile = "".join(str(payload.get("mobile") or "").split())
    if not MOBILE_RE.match(mobile):
        problems.append({"field": "mobile", "message": t("请输入 11 位手机号码")})
    password: str = payload["password"] if isinstance(payload.get("password"), str) else ""
    for message in check_password(password, mobile or None):
        problems.append({"field": "password", "message": message})
    code = str(payload.get("code") or "").strip()
    if not re.fullmatch(r"\d{6}", code):
        problems.append({"field": "code", "message": t("请输入 6 位短信验证码")})
    if not problems:
        if Session.scalar(select(ApplicantProfile.user_id).where(ApplicantProfile.id_no == id_no)):
            problems.append({"field": "id_no", "message": t("该证件号码已注册")})
        if _mobile_taken(mobile):
            problems.append({"field": "mobile", "message": t("该手机号码已注册")})
    if problems:
        fields = ", ".join(dict.fromkeys(p["field"] for p in problems))
        raise ValidationFailed(t("注册信息有误：%(fields)s", fields=fields), problems)
    return {
        "kind": kind,
        "name": name,
        "id_no": id_no,
        "mobile": mobile,
        "password": password,
        "code": code,
        "legal_representative": legal_rep or None,
        "contact_name": contact or None,
        "email": email or None,
    }


def _consume_code(mobile: str, code: str, now: datetime) -> None:
    row = Session.scalar(
        select(MobileVerification)
        .where(
            MobileVerification.mobile == mobile,
            MobileVerification.purpose == "register",
            MobileVerification.consumed_at.is_(None),
        )
        .order_by(MobileVerification.created_at.desc())
        .limit(1)
    )
    problem = None
    if row is None or row.expires_at < now:
        problem = t("验证码已过期或未发送，请重新获取")
    elif row.attempts >= MAX_CODE_TRIES:
        problem = t("验证码错误次数过多，请重新获取")
    elif not hmac.compare_digest(row.code_hash, _code_hash(mobile, "register", code)):
        row.attempts += 1
        Session.commit()  # the failed try counts even though nothing else is written
        problem = t("验证码不正确")
    if problem or row is None:
        message = problem or t("验证码已过期或未发送，请重新获取")
        raise ValidationFailed(message, [{"field": "code", "message": message}])
    row.consumed_at = now


def register_applicant(payload: Any, now: datetime | None = None) -> Actor:
    """Create an applicant account from a verified registration; returns the new actor."""
    now = now or utcnow()
    reg = _validate_registration(payload)
    _consume_code(reg["mobile"], reg["code"], now)
    user = User(
        username=reg["mobile"],
        password_hash=hash_password(reg["password"]),
        display_name=reg["name"],
        role="applicant",
        department_code=None,
        email=reg["email"],
        id_number=reg["id_no"],
        created_at=now,
    )
    Session.add(user)
    Session.flush()
    Session.add(
        ApplicantProfile(
            user_id=user.id,
            kind=reg["kind"],
            id_no=reg["id_no"],
            mobile=reg["mobile"],
            mobile_verified_at=now,
            legal_representative=reg["legal_representative"],
            contact_name=reg["contact_name"],
            created_at=now,
        )
    )
    queued = []
    if reg["email"]:
        body = (
            f"{reg['name']}，您好：\n\n您已在通办网上办事大厅注册成功，登录账号为手机号码 {reg['mobile']}。\n"
            "如非本人操作，请拨打 12345 政务服务热线。\n"
        )
        queued.append(
            channels.enqueue_email(reg["email"], "【通办】注册成功", body, "registered", user_id=user.id)
        )
    Session.commit()
    if queued:
        channels.deliver_soon([m.id for m in queued], now)
    return Actor.of(user)


def authenticate_applicant(identifier: str, password: str, *, client: str | None = None) -> Actor:
    """The public login: mobile number, ID number / USCC, or username; applicants only."""
    ident = "".join((identifier or "").split())[:64]
    username = Session.scalar(
        select(User.username)
        .join(ApplicantProfile, ApplicantProfile.user_id == User.id)
        .where(or_(ApplicantProfile.mobile == ident, ApplicantProfile.id_no == ident.upper()))
    )
    actor = authenticate(username or ident, password, via="portal", client=client)
    if not actor.is_applicant:
        raise Unauthorized(t("工作人员请从工作人员登录入口登录"), code="not_an_applicant")
    return actor


def profile_of(actor: Actor) -> ApplicantProfile | None:
    return Session.get(ApplicantProfile, actor.id)
