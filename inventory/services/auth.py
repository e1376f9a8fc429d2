"""People: accounts (create, roles, deactivate, unlock, reset), signing in with a lock after repeated
failures, sessions that end (a generation per user), API tokens, password rules (rules/passwords.py)."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta
from functools import cache

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import Select, bindparam, func, select, text, update
from sqlalchemy.orm import joinedload
from werkzeug.security import check_password_hash, generate_password_hash

from inventory import clock
from inventory.errors import Conflict, Forbidden, Invalid, NotFound, Unauthorized
from inventory.extensions import db
from inventory.models import ApiToken, LoginThrottle, Role, User, UserRole
from inventory.rules.passwords import MAX_LENGTH, MIN_LENGTH, PasswordProblem, normalise, password_problem
from inventory.services import all_or_nothing, audit, transaction

MIN_PASSWORD_LENGTH = MIN_LENGTH
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


def password_message(problem: PasswordProblem) -> str:
    if problem is PasswordProblem.TOO_SHORT:
        return str(_("At least %(n)d characters.", n=MIN_LENGTH))
    if problem is PasswordProblem.TOO_LONG:
        return str(_("At most %(n)d characters.", n=MAX_LENGTH))
    if problem is PasswordProblem.COMMON:
        return str(_("This password is on the list of common or breached passwords: choose another."))
    return str(_("A password must not contain the username."))


def check_password(password: str, *, username: str = "", field: str = "password") -> None:
    """NIST 800-63B: length and the breached-password list, nothing about character classes."""
    problem = password_problem(password, username=username)
    if problem is None:
        return
    if problem is PasswordProblem.TOO_SHORT:
        message = _("A password needs at least %(n)d characters.", n=MIN_LENGTH)
    else:
        message = password_message(problem)
    raise Invalid("weak_password", message, fields={field: password_message(problem)})


def _hash(password: str) -> str:
    return generate_password_hash(normalise(password), method=_hash_method())


def _matches(password_hash: str, password: str) -> bool:
    return check_password_hash(password_hash, normalise(password))


def create_user(
    username: str,
    *,
    roles: Iterable[str],
    password: str,
    display_name: str | None = None,
    initials: str | None = None,
    must_change_password: bool = False,
) -> User:
    username = username.strip().lower()
    role_set = {Role(role) for role in roles}
    if not username:
        raise Invalid("invalid_username", _("A username is required."))
    if not role_set:
        raise Invalid("role_required", _("A user needs at least one role."))
    check_password(password, username=username)
    with transaction():
        if db.session.scalar(select(User).where(User.username == username)):
            raise Conflict("duplicate_username", _("The username %(name)s is taken.", name=username))
        name = (display_name or username).strip()
        user = User(
            username=username,
            display_name=name,
            initials=(initials or _initials(name)).upper(),
            password_hash=_hash(password),
            role_rows=[UserRole(role=role.value) for role in sorted(role_set)],
            must_change_password=must_change_password,
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
        valid = _matches(user.password_hash if user else _DUMMY_HASH, password)
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


def _end_sessions(user: User, *, keep_token: ApiToken | None = None) -> None:
    """Every session cookie of the user stops working (their generation is past) and every bearer
    token but `keep_token` is revoked, in the caller's transaction."""
    user.session_generation = (user.session_generation or 0) + 1
    query = update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    if keep_token is not None:
        query = query.where(ApiToken.id != keep_token.id)
    db.session.execute(query.values(revoked_at=clock.now()))


def change_password(user: User, current: str, new: str, *, keep_token: ApiToken | None = None) -> int:
    """The user's own change: ends every other session and token; the new session generation."""
    if not _matches(user.password_hash, current):
        raise Invalid(
            "wrong_password",
            _("The current password is wrong."),
            fields={"current_password": _("The current password is wrong.")},
        )
    check_password(new, username=user.username, field="new_password")
    if _matches(user.password_hash, new):
        raise Invalid(
            "same_password",
            _("Choose a password different from the current one."),
            fields={"new_password": _("Choose a password different from the current one.")},
        )
    with transaction():
        user.password_hash = _hash(new)
        user.must_change_password = False
        _end_sessions(user, keep_token=keep_token)
        audit.record("password_changed", "user", user.id, user=user)
    return user.session_generation


def sign_out(user: User, *, token: ApiToken | None = None) -> None:
    """Signing out ends every session and token of the user, a copied cookie included."""
    with transaction():
        _end_sessions(user)
        audit.record(
            "signed_out", "user", user.id, details={"token_id": token.id if token else None}, user=user
        )


def session_is_current(user: User, generation: object) -> bool:
    return isinstance(generation, int) and generation == (user.session_generation or 0)


# --- Accounts, by an administrator ---------------------------------------------------------------


def get_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound("not_found", _("No such user."))
    return user


def find_user(username: str) -> User:
    user: User | None = db.session.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None:
        raise NotFound("not_found", _("No user named %(name)s.", name=username))
    return user


def list_users() -> list[User]:
    return list(db.session.scalars(select(User).order_by(User.active.desc(), User.username)))


def locked_until(username: str) -> datetime | None:
    row = db.session.get(LoginThrottle, username)
    if row is None or row.locked_until is None or row.locked_until <= clock.now():
        return None
    return row.locked_until


def _active_admins(excluding: User) -> int:
    query = (
        select(func.count(User.id))
        .join(UserRole, UserRole.user_id == User.id)
        .where(User.active.is_(True), UserRole.role == Role.ADMIN.value, User.id != excluding.id)
    )
    return int(db.session.scalar(query) or 0)


def update_user(user: User, *, roles: Iterable[str] | None = None, active: bool | None = None) -> User:
    """Change roles and/or deactivate or reactivate; a deactivated user's sessions and tokens end."""
    before = {"roles": sorted(user.roles), "active": user.active}
    new_roles = sorted({Role(role) for role in roles}) if roles is not None else sorted(user.roles)
    new_active = user.active if active is None else active
    if not new_roles:
        raise Invalid(
            "role_required", _("A user needs at least one role."), fields={"roles": _("Choose a role.")}
        )
    loses_admin = Role.ADMIN in user.roles and user.active and (Role.ADMIN not in new_roles or not new_active)
    if loses_admin and _active_admins(excluding=user) == 0:
        raise Conflict(
            "last_admin", _("This is the last active administrator: make someone else admin first.")
        )
    after = {"roles": [role.value for role in new_roles], "active": new_active}
    changed = audit.changes(before, after)
    if not changed:
        return user
    with transaction():
        if roles is not None:
            user.role_rows = [UserRole(role=role.value) for role in new_roles]
        if active is not None and active != user.active:
            user.active = active
            if not active:
                _end_sessions(user)
        action = "user_deactivated" if "active" in changed and not new_active else "user_updated"
        if "active" in changed and new_active:
            action = "user_activated"
        audit.record(action, "user", user.id, details={"username": user.username, "changed": changed})
    return user


def unlock(user: User) -> None:
    """Lift a lock from failed sign-ins at once (a nurse need not wait out the lock)."""
    with transaction():
        row = db.session.get(LoginThrottle, user.username)
        until = row.locked_until if row else None
        if row is not None:
            row.failures = 0
            row.locked_until = None
        audit.record(
            "user_unlocked", "user", user.id, details={"username": user.username, "was_locked_until": until}
        )


def reset_password(user: User, password: str, *, by_admin: bool = True) -> None:
    """An administrator sets a password; the user must choose a new one at next sign-in. Every
    session and token of the user ends."""
    check_password(password, username=user.username)
    with transaction():
        user.password_hash = _hash(password)
        user.must_change_password = by_admin
        _end_sessions(user)
        audit.record("password_reset", "user", user.id, details={"username": user.username})


def require_password_changed(user: User) -> None:
    if user.must_change_password:
        raise Forbidden(
            "password_change_required",
            _("Choose a new password first: POST /api/v1/account/password."),
        )


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


@cache
def _token_statement() -> Select[ApiToken]:
    """Built once: the token check runs in front of every API request."""
    return (
        select(ApiToken)
        .where(ApiToken.token_hash == bindparam("token_hash"))
        .options(joinedload(ApiToken.user).joinedload(User.role_rows))
    )


def token_for(raw: str) -> ApiToken | None:
    """The live token with this value, its user and the user's roles loaded in the same query (the
    check in front of every API request, the scan at the chair included)."""
    token = db.session.scalars(_token_statement(), {"token_hash": _hash_token(raw)}).unique().first()
    if token is None or token.revoked_at is not None or token.expires_at <= clock.now():
        return None
    if not token.user.active:
        return None
    return token


def revoke_token(token: ApiToken) -> None:
    with transaction():
        token.revoked_at = clock.now()
        audit.record("token_revoked", "user", token.user_id, details={"token_id": token.id}, user=token.user)


def set_locale(user: User, locale: str) -> None:
    with transaction():
        user.locale = locale
        audit.record("locale_changed", "user", user.id, details={"locale": locale}, user=user)


# --- First run -----------------------------------------------------------------------------------


def needs_setup() -> bool:
    """True on a fresh install: no user at all yet (neither `flask setup` nor the demo has run)."""
    return db.session.scalar(select(User.id).limit(1)) is None


def create_first_admin(username: str, password: str, *, display_name: str | None = None) -> User:
    """The clinic's first administrator, with a password of their choosing; no demo data.

    One transaction that holds the write lock (SQLite: BEGIN IMMEDIATE; PostgreSQL: an advisory
    lock), so two first-run pages submitted at once cannot both create an administrator."""
    check_password(password, username=username.strip().lower())
    with all_or_nothing(commit=True) as session:
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text("SELECT pg_advisory_xact_lock(14014)"))
        if not needs_setup():
            raise Conflict("already_set_up", _("This installation already has users: sign in instead."))
        user = create_user(username, roles=[Role.ADMIN.value], password=password, display_name=display_name)
        audit.record("first_admin_created", "user", user.id, details={"username": user.username}, user=user)
    return user
