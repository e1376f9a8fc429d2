"""Sign in, sign out, change password, language; the first-run page of a fresh install.

A session cookie carries the user's session generation (`SESSION_GENERATION`): signing out, a password
change, a reset or a deactivation moves the generation on, and an older cookie signs nobody in."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from inventory.errors import DomainError
from inventory.models import User
from inventory.services import audit, auth
from inventory.web.errors import form_failed
from inventory.web.forms import choices

bp = Blueprint("auth", __name__)

SESSION_GENERATION = "auth_generation"

#: What a person who must choose a new password may still reach.
OPEN_WHILE_CHANGING = frozenset(
    {"auth.account", "auth.logout", "auth.set_language", "server.health", "static"}
)
API_OPEN_WHILE_CHANGING = frozenset(
    {
        ("POST", "/api/v1/account/password"),
        ("GET", "/api/v1/tokens/current"),
        ("DELETE", "/api/v1/tokens/current"),
    }
)


class LoginForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=80)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])


class PasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])
    new_password = PasswordField(
        _l("New password"), validators=[DataRequired(), Length(min=auth.MIN_PASSWORD_LENGTH, max=200)]
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("new_password", message=_l("The two passwords differ."))],
    )


class SetupForm(FlaskForm):
    display_name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=120)])
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=80)])
    new_password = PasswordField(
        _l("Password"), validators=[DataRequired(), Length(min=auth.MIN_PASSWORD_LENGTH, max=200)]
    )
    confirm = PasswordField(
        _l("Repeat the password"),
        validators=[DataRequired(), EqualTo("new_password", message=_l("The two passwords differ."))],
    )


class LanguageForm(FlaskForm):
    locale = SelectField(_l("Language"))


def _safe_next(target: str | None) -> str:
    """Only a path on this site, never another host; nothing that cannot stand in a Location header
    (a line break) nor a backslash, which browsers read as a slash ("/\\evil.example")."""
    if not target or not target.isprintable() or "\\" in target:
        return url_for("main.home")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("main.home")
    return target


def load_session_user(user_id: str) -> User | None:
    """Flask-Login's loader: an active user whose session generation the cookie still carries."""
    from inventory.extensions import db

    user = db.session.get(User, int(user_id))
    if user is None or not user.active or not auth.session_is_current(user, session.get(SESSION_GENERATION)):
        return None
    return user


def _sign_in(user: User) -> None:
    login_user(user)
    session[SESSION_GENERATION] = user.session_generation


@bp.before_app_request
def _password_change_first() -> Response | None:
    """After an administrator's reset, nothing but choosing a new password (pages and API alike)."""
    if not current_user.is_authenticated or not current_user.must_change_password:
        return None
    if request.path.startswith("/api/"):
        if (request.method, request.path.rstrip("/")) not in API_OPEN_WHILE_CHANGING:
            auth.require_password_changed(current_user._get_current_object())
        return None
    if request.endpoint in OPEN_WHILE_CHANGING:
        return None
    flash(_("Choose a new password before you go on."), "warning")
    return redirect(url_for("auth.account"))


@bp.route("/login", methods=["GET", "POST"])
def login() -> str | Response:
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = auth.authenticate(form.username.data or "", form.password.data or "")
        except DomainError as error:
            audit.sign_in_failed(form.username.data or "", code=error.code, via="page")
            form_failed(form, error)
        else:
            _sign_in(user)
            audit.signed_in(user, via="page")
            if user.must_change_password:
                flash(_("Your password was reset: choose a new one now."), "warning")
                return redirect(url_for("auth.account"))
            flash(_("Welcome, %(name)s.", name=user.display_name), "success")
            return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form, first_run=auth.needs_setup())


@bp.route("/setup", methods=["GET", "POST"])
def setup() -> str | Response:
    """First run: no user exists yet; the clinic's first administrator chooses a password."""
    if not auth.needs_setup():
        if request.method == "POST":
            abort(409)
        return redirect(url_for("auth.login"))
    form = SetupForm()
    if form.validate_on_submit():
        try:
            user = auth.create_first_admin(
                form.username.data or "", form.new_password.data or "", display_name=form.display_name.data
            )
        except DomainError as error:
            form_failed(form, error)
        else:
            _sign_in(user)
            flash(_("The pharmacy is set up. Next: add your colleagues' accounts."), "success")
            return redirect(url_for("admin.users"))
    return render_template("auth/setup.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout() -> Response:
    if current_user.is_authenticated:
        auth.sign_out(current_user._get_current_object(), token=g.get("api_token"))
    logout_user()
    session.pop(SESSION_GENERATION, None)
    flash(_("You are signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account() -> str | Response:
    form = PasswordForm()
    language = LanguageForm(prefix="lang", locale=current_user.locale or "")
    language.locale.choices = choices(current_app.config["LANGUAGES"].items())
    if form.validate_on_submit():
        try:
            generation = auth.change_password(
                current_user._get_current_object(),
                form.current_password.data or "",
                form.new_password.data or "",
            )
        except DomainError as error:
            form_failed(form, error)
        else:
            session[SESSION_GENERATION] = generation
            flash(_("Your password is changed. You are signed out everywhere else."), "success")
            return redirect(url_for("auth.account"))
    return render_template("auth/account.html", form=form, language=language)


@bp.route("/account/language", methods=["POST"])
@login_required
def set_language() -> Response:
    language = LanguageForm(prefix="lang")
    language.locale.choices = choices(current_app.config["LANGUAGES"].items())
    if language.validate_on_submit():
        auth.set_locale(current_user._get_current_object(), language.locale.data or "en")
    return redirect(
        _safe_next(request.form.get("next")) if request.form.get("next") else url_for("auth.account")
    )
