"""Sign in, sign out, change password, language."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from inventory.errors import DomainError
from inventory.services import audit, auth
from inventory.web.errors import form_failed
from inventory.web.forms import choices

bp = Blueprint("auth", __name__)


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


class LanguageForm(FlaskForm):
    locale = SelectField(_l("Language"))


def _safe_next(target: str | None) -> str:
    """Only a path on this site, never another host."""
    if not target:
        return url_for("main.home")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("main.home")
    return target


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
            login_user(user)
            audit.signed_in(user, via="page")
            flash(_("Welcome, %(name)s.", name=user.display_name), "success")
            return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout() -> Response:
    if current_user.is_authenticated:
        audit.signed_out(current_user._get_current_object())
    logout_user()
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
            auth.change_password(
                current_user._get_current_object(),
                form.current_password.data or "",
                form.new_password.data or "",
            )
        except DomainError as error:
            form_failed(form, error)
        else:
            flash(_("Your password is changed."), "success")
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
