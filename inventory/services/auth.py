"""People: creating users, signing in with a lock after repeated failures, API tokens."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from inventory import clock
from inventory.errors import Conflict, Invalid, Unauthorized
from inventory.extensions import db
from inventory.models import ApiToken, LoginThrottle, Role, User, UserRole
from inventory.services import audit, transaction

MIN_PASSWORD_LENGTH = 8
# Compared against when the username is unknown, so both paths take the same time.
_DUMMY_HASH = generate_password_hash("not-a-password")


class AccountLocked(Unauthorized):
    def __init__(self, until: datetime) -> None:
        super().__init__(
            "account_locked",
            _(
                "Too many failed sign-ins. Try again after %(time)s.",
                time=clock.local(until).strftime("%H:%M"),
            ),
        )
        self.until = until


def _hash_method() -> str:
    return str(current_app.config.get("PASSWORD_HASH_METHOD", "scrypt"))


def _initials(display_name: str) -> str:
    return "".join(part[0] for part in display_name.split() if part)[:4].upper() or "?"


def _check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid(
            "weak_password",
            _("A password needs at least %(n)d characters.", n=MIN_PASSWORD_LENGTH),
            fields={"password": _("At least %(n)d characters.", n=MIN_PASSWORD_LENGTH)},
        )


def create_user(
    username: str,
    *,
    roles: Iterable[str],
    password: str,
    display_name: str | None = None,
    initials: str | None = None,
) -> User:
    username = username.strip().lower()
    role_set = {Role(role) for role in roles}
    if not username:
        raise Invalid("invalid_username", _("A username is required."))
    if not role_set:
        raise Invalid("role_required", _("A user needs at least one role."))
    _check_password_strength(password)
    with transaction():
        if db.session.scalar(select(User).where(User.username == username)):
            raise Conflict("duplicate_username", _("The username %(name)s is taken.", name=username))
        name = (display_name or username).strip()
        user = User(
            username=username,
            display_name=name,
            initials=(initials or _initials(name)).upper(),
            password_hash=generate_password_hash(password, method=_hash_method()),
            role_rows=[UserRole(role=role.value) for role in sorted(role_set)],
        )
        db.session.add(user)
        db.session.flush()
        audit.record(
            "user_created", "user", user.id, details={"username": username, "roles": sorted(role_set)}
        )
    return user


def _throttle(username: str) -> LoginThrottle:
    row = db.session.get(LoginThrottle, username)
    if row is None:
        row = LoginThrottle(username=username, failures=0)
        db.session.add(row)
    return row


def authenticate(username: str, password: str) -> User:
    """The user with these credentials; a username is locked after too many failures."""
    username = username.strip().lower()
    now = clock.now()
    with transaction():
        throttle = _throttle(username)
        if throttle.locked_until and throttle.locked_until > now:
            raise AccountLocked(throttle.locked_until)
        user: User | None = db.session.scalar(select(User).where(User.username == username))
        valid = check_password_hash(user.password_hash if user else _DUMMY_HASH, password)
        if user is not None and valid and user.active:
            throttle.failures = 0
            throttle.locked_until = None
            return user
        _count_failure(throttle, user, now)
    if throttle.locked_until and throttle.locked_until > now:
        raise AccountLocked(throttle.locked_until)
    raise Unauthorized("invalid_credentials", _("Wrong username or password."))


def _count_failure(throttle: LoginThrottle, user: User | None, now: datetime) -> None:
    config = current_app.config
    throttle.failures += 1
    if throttle.failures >= config["LOGIN_MAX_FAILURES"]:
        throttle.failures = 0
        throttle.locked_until = now + timedelta(minutes=config["LOGIN_LOCK_MINUTES"])
        audit.record(
            "login_locked",
            "user",
            user.id if user else None,
            details={"username": throttle.username, "until": throttle.locked_until},
            user=user,
        )


def change_password(user: User, current: str, new: str) -> None:
    if not check_password_hash(user.password_hash, current):
        raise Invalid(
            "wrong_password",
            _("The current password is wrong."),
            fields={"current_password": _("The current password is wrong.")},
        )
    _check_password_strength(new)
    with transaction():
        user.password_hash = generate_password_hash(new, method=_hash_method())
        audit.record("password_changed", "user", user.id, user=user)


def _hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def issue_token(user: User) -> tuple[str, ApiToken]:
    """A new bearer token: the raw value is shown once, only its hash is kept."""
    raw = secrets.token_urlsafe(32)
    hours = current_app.config["API_TOKEN_HOURS"]
    with transaction():
        token = ApiToken(
            user_id=user.id, token_hash=_hash_token(raw), expires_at=clock.now() + timedelta(hours=hours)
        )
        db.session.add(token)
        db.session.flush()
        audit.record("token_issued", "user", user.id, details={"token_id": token.id}, user=user)
    return raw, token


def token_for(raw: str) -> ApiToken | None:
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == _hash_token(raw)))
    if token is None or token.revoked_at is not None or token.expires_at <= clock.now():
        return None
    if not token.user.active:
        return None
    return token


def revoke_token(token: ApiToken) -> None:
    with transaction():
        token.revoked_at = clock.now()
        audit.record("token_revoked", "user", token.user_id, details={"token_id": token.id}, user=token.user)


def set_active(user: User, active: bool) -> None:
    with transaction():
        user.active = active
        audit.record("user_activated" if active else "user_deactivated", "user", user.id)


def set_locale(user: User, locale: str) -> None:
    with transaction():
        user.locale = locale
        audit.record("locale_changed", "user", user.id, details={"locale": locale}, user=user)
