"""Accounts (admins): the list of users, a new account, and one account's roles, activity, lock and
password. Every button calls the same service functions as /api/v1/users."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import PasswordField, SelectMultipleField, StringField, widgets
from wtforms.validators import DataRequired, Length

from inventory.errors import DomainError
from inventory.models import Role
from inventory.names import ROLE_LABELS
from inventory.permissions import Permission, permission_required
from inventory.rules.passwords import MAX_LENGTH, MIN_LENGTH
from inventory.services import auth
from inventory.web.errors import form_failed
from inventory.web.forms import choices

bp = Blueprint("admin", __name__, url_prefix="/admin")


class RolesField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


def _role_choices() -> list[Any]:
    return choices((role.value, ROLE_LABELS[role]) for role in Role)


class NewUserForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=80)])
    display_name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=120)])
    roles = RolesField(_l("Roles"), validators=[DataRequired(message=_l("Choose at least one role."))])
    password = PasswordField(
        _l("First password"), validators=[DataRequired(), Length(min=MIN_LENGTH, max=MAX_LENGTH)]
    )


class RolesForm(FlaskForm):
    roles = RolesField(_l("Roles"), validators=[DataRequired(message=_l("Choose at least one role."))])


class ResetForm(FlaskForm):
    password = PasswordField(
        _l("New password"), validators=[DataRequired(), Length(min=MIN_LENGTH, max=MAX_LENGTH)]
    )


class ActionForm(FlaskForm):
    """Deactivate, reactivate, unlock: a button and the CSRF token."""


@bp.route("/users", methods=["GET", "POST"])
@permission_required(Permission.USERS)
def users() -> str | Response:
    form = NewUserForm()
    form.roles.choices = _role_choices()
    if form.validate_on_submit():
        try:
            user = auth.create_user(
                form.username.data or "",
                roles=form.roles.data or [],
                password=form.password.data or "",
                display_name=form.display_name.data,
                must_change_password=True,
            )
        except DomainError as error:
            form_failed(form, error)
        else:
            flash(
                _("%(name)s can sign in now and will choose their own password.", name=user.username),
                "success",
            )
            return redirect(url_for("admin.users"))
    people = auth.list_users()
    locks = {user.id: auth.locked_until(user.username) for user in people}
    return render_template("admin/users.html", form=form, people=people, locks=locks)


@bp.route("/users/<int:user_id>", methods=["GET"])
@permission_required(Permission.USERS)
def user(user_id: int) -> str:
    person = auth.get_user(user_id)
    return _user_page(person)


def _user_page(person: Any, roles: RolesForm | None = None, reset: ResetForm | None = None) -> str:
    if roles is None:
        roles = RolesForm(prefix="roles", data={"roles": sorted(person.roles)})
    roles.roles.choices = _role_choices()
    return render_template(
        "admin/user.html",
        person=person,
        roles=roles,
        reset=reset or ResetForm(prefix="reset"),
        action=ActionForm(prefix="action"),
        locked_until=auth.locked_until(person.username),
    )


@bp.route("/users/<int:user_id>/roles", methods=["POST"])
@permission_required(Permission.USERS)
def set_roles(user_id: int) -> str | Response:
    person = auth.get_user(user_id)
    form = RolesForm(prefix="roles")
    form.roles.choices = _role_choices()
    if form.validate_on_submit():
        try:
            auth.update_user(person, roles=form.roles.data or [])
        except DomainError as error:
            form_failed(form, error)
        else:
            flash(_("Roles of %(name)s saved.", name=person.username), "success")
            return redirect(url_for("admin.user", user_id=person.id))
    return _user_page(person, roles=form)


@bp.route("/users/<int:user_id>/password", methods=["POST"])
@permission_required(Permission.USERS)
def reset_password(user_id: int) -> str | Response:
    person = auth.get_user(user_id)
    form = ResetForm(prefix="reset")
    if form.validate_on_submit():
        try:
            auth.reset_password(person, form.password.data or "")
        except DomainError as error:
            form_failed(form, error)
        else:
            flash(
                _("Password of %(name)s reset: they choose a new one at next sign-in.", name=person.username),
                "success",
            )
            return redirect(url_for("admin.user", user_id=person.id))
    return _user_page(person, reset=form)


@bp.route("/users/<int:user_id>/<any(deactivate, activate, unlock):what>", methods=["POST"])
@permission_required(Permission.USERS)
def act(user_id: int, what: str) -> str | Response:
    person = auth.get_user(user_id)
    if ActionForm(prefix="action").validate_on_submit():
        try:
            if what == "unlock":
                auth.unlock(person)
                flash(_("%(name)s can sign in again.", name=person.username), "success")
            else:
                auth.update_user(person, active=what == "activate")
                if what == "activate":
                    flash(_("%(name)s is active again.", name=person.username), "success")
                else:
                    flash(
                        _("%(name)s is deactivated and signed out everywhere.", name=person.username),
                        "success",
                    )
        except DomainError as error:
            flash(error.message, "error")
    return redirect(url_for("admin.user", user_id=person.id))
