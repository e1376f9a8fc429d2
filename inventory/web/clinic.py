"""Pages of the clinic area: patients, sessions, and the scan at the treatment chair."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import DateField, HiddenField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from inventory import clock
from inventory.errors import DomainError
from inventory.models.clinic import SessionStatus, TreatmentSession
from inventory.models.users import User
from inventory.names import INDICATION_LABELS
from inventory.permissions import Permission, permission_required
from inventory.services import patients, scanning, sessions
from inventory.web.errors import form_failed
from inventory.web.forms import VolumeField, choices

bp = Blueprint("clinic", __name__, url_prefix="/clinic")


class PatientForm(FlaskForm):
    name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=200)])
    date_of_birth = DateField(_l("Date of birth"), validators=[InputRequired()])
    mrn = StringField(_l("Medical record number"), validators=[Optional(), Length(max=40)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=40)])
    email = StringField(_l("Email"), validators=[Optional(), Length(max=200)])


class SessionForm(FlaskForm):
    patient_id = HiddenField(validators=[DataRequired()])
    indication = SelectField(
        _l("Indication"), choices=choices((k.value, v) for k, v in INDICATION_LABELS.items())
    )
    area = StringField(_l("Area"), validators=[Optional(), Length(max=80)])


class ScanForm(FlaskForm):
    code = StringField(_l("Scan the syringe"), validators=[Length(max=300)])
    site = StringField(_l("Injection site"), validators=[Optional(), Length(max=80)])
    volume = VolumeField(_l("Volume given (mL), if not the whole syringe"), validators=[Optional()])


class ButtonForm(FlaskForm):
    """A form of one button: only its CSRF token."""


@bp.app_context_processor
def _clinic_helpers() -> dict[str, Any]:
    return {
        "reason_text": scanning.reason_text,
    }


def _user() -> User:
    user: User = current_user._get_current_object()
    return user


def _wants_fragment() -> bool:
    return request.headers.get("X-Requested-With") == "fetch"


# ---- patients ------------------------------------------------------------------------------------


@bp.route("/patients", endpoint="patients")
@permission_required(Permission.READ_PATIENTS)
def patients_page() -> str:
    query = request.args.get("q", "").strip()
    found, more = patients.search_patients(query)
    return render_template("clinic/patients.html", patients=found, more=more, query=query)


@bp.route("/patients/new", methods=["GET", "POST"])
@permission_required(Permission.WRITE_PATIENTS)
def new_patient() -> str | Response:
    form = PatientForm()
    if form.validate_on_submit():
        try:
            patient = patients.create_patient(form.data)
        except DomainError as error:
            form_failed(form, error)
        else:
            flash(_("%(name)s is registered.", name=patient.name), "success")
            return redirect(url_for("clinic.patient", patient_id=patient.id))
    return render_template("clinic/patient_form.html", form=form)


@bp.route("/patients/<int:patient_id>")
@permission_required(Permission.READ_PATIENTS)
def patient(patient_id: int) -> str:
    found = patients.get_patient(patient_id)
    return render_template(
        "clinic/patient.html", patient=found, sessions=patients.sessions_of(found.id), form=SessionForm()
    )


# ---- sessions ------------------------------------------------------------------------------------


def _start_of_today() -> datetime:
    return datetime.combine(clock.today(), time.min, tzinfo=clock.clinic_zone())


@bp.route("/sessions", endpoint="sessions")
@permission_required(Permission.ADMINISTER)
def sessions_page() -> str:
    open_now = sessions.open_sessions()
    today_start = _start_of_today()
    query = request.args.get("q", "").strip()
    chosen = None
    if patient_id := request.args.get("patient_id", type=int):
        chosen = patients.get_patient(patient_id)
    form = SessionForm(patient_id=chosen.id if chosen else None)
    return render_template(
        "clinic/sessions.html",
        today=[s for s in open_now if s.started_at >= today_start],
        earlier=[s for s in open_now if s.started_at < today_start],
        query=query,
        matches=patients.search_patients(query, per_page=10)[0] if query else [],
        chosen=chosen,
        form=form,
    )


@bp.route("/sessions", methods=["POST"])
@permission_required(Permission.ADMINISTER)
def open_session() -> Response:
    form = SessionForm()
    if not form.validate_on_submit() or not str(form.patient_id.data).isdigit():
        flash(_("Choose a patient and an indication."), "error")
        return redirect(url_for("clinic.sessions"))
    try:
        opened = sessions.open_session(
            int(form.patient_id.data), form.indication.data or "", form.area.data or "", practitioner=_user()
        )
    except DomainError as error:
        flash(error.message, "error")
        return redirect(url_for("clinic.sessions", patient_id=form.patient_id.data))
    for warning in opened.warnings:
        flash(warning.message, "warning")
    return redirect(url_for("clinic.session", session_id=opened.session.id))


def _session_page(treatment: TreatmentSession, **context: Any) -> str:
    return render_template(
        "clinic/session.html",
        session=treatment,
        scan_form=context.pop("scan_form", None) or ScanForm(formdata=None),
        button=ButtonForm(),
        warnings=sessions.interval_warnings(
            treatment.patient_id, treatment.indication, treatment.started_at, exclude_id=treatment.id
        ),
        **_log_context(treatment),
        **context,
    )


def _log_context(treatment: TreatmentSession) -> dict[str, Any]:
    administered = sessions.administrations_of(treatment.id)
    return {
        "administrations": administered,
        "checked": sessions.identity_checked([row.id for row in administered]),
        "near_misses": sessions.scans_of(treatment.id, blocked_only=True),
    }


@bp.route("/sessions/<int:session_id>")
@permission_required(Permission.ADMINISTER)
def session(session_id: int) -> str:
    return _session_page(sessions.get_session(session_id))


@bp.route("/sessions/<int:session_id>/log")
@permission_required(Permission.ADMINISTER)
def session_log(session_id: int) -> str:
    treatment = sessions.get_session(session_id)
    return render_template("clinic/_log.html", session=treatment, **_log_context(treatment))


@bp.route("/sessions/<int:session_id>/scan", methods=["POST"])
@permission_required(Permission.ADMINISTER)
def scan(session_id: int) -> Any:
    """The scan form: a full page without JavaScript, the verdict alone (HTML) for the page's script."""
    treatment = sessions.get_session(session_id)
    form = ScanForm()
    context: dict[str, Any] = {"scan_form": form}
    status = 200
    if form.validate_on_submit():
        try:
            outcome = scanning.scan(
                treatment.id,
                form.code.data or "",
                user=_user(),
                site=form.site.data or "",
                volume_ul=form.volume.data,
            )
        except DomainError as error:
            context["scan_error"], status = error.message, error.status
        else:
            context["outcome"], status = outcome, 201 if outcome.ok else 409
    else:
        context["scan_error"], status = _("The scan could not be read. Please scan again."), 422
    if _wants_fragment():
        return render_template(
            "clinic/_verdict.html", session=treatment, button=ButtonForm(), **context
        ), status
    return _session_page(treatment, **context), status


@bp.route("/sessions/<int:session_id>/administrations/<int:administration_id>/identity", methods=["POST"])
@permission_required(Permission.ADMINISTER)
def confirm_identity(session_id: int, administration_id: int) -> Any:
    """SAFE-07: the practitioner checked the patient's name and date of birth."""
    sessions.confirm_identity(session_id, administration_id, user=_user())
    if _wants_fragment():
        return "", 204
    return redirect(url_for("clinic.session", session_id=session_id))


@bp.route("/sessions/<int:session_id>/close", methods=["POST"])
@permission_required(Permission.ADMINISTER)
def close_session(session_id: int) -> Response:
    if ButtonForm().validate_on_submit():
        try:
            sessions.close_session(session_id, user=_user())
        except DomainError as error:
            flash(error.message, "error")
        else:
            flash(_("The session is closed."), "success")
    return redirect(url_for("clinic.session", session_id=session_id))


@bp.route("/sessions/<int:session_id>/summary")
@permission_required(Permission.READ_PATIENTS)
def summary(session_id: int) -> str:
    """A clean printable page for the patient's chart: what was given, from which lots."""
    treatment = sessions.get_session(session_id)
    administered = sessions.administrations_of(treatment.id)
    contents = {row.id: scanning.syringe_contents(row.syringe) for row in administered}
    return render_template(
        "clinic/summary.html",
        session=treatment,
        administrations=administered,
        contents=contents,
        checked=sessions.identity_checked([row.id for row in administered]),
        printed_at=clock.now(),
        SessionStatus=SessionStatus,
    )
