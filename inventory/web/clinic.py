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
from wtforms import BooleanField, DateField, HiddenField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from inventory import clock
from inventory.errors import DomainError
from inventory.models.clinic import Patient, SessionStatus, TreatmentSession
from inventory.models.users import User
from inventory.names import INDICATION_LABELS, VOID_REASON_LABELS, label
from inventory.permissions import Permission, permission_required
from inventory.services import patients, scanning, sessions, vigilance
from inventory.web.errors import form_failed
from inventory.web.forms import VolumeField, choices

bp = Blueprint("clinic", __name__, url_prefix="/clinic")


class PatientForm(FlaskForm):
    name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=200)])
    date_of_birth = DateField(_l("Date of birth"), validators=[InputRequired()])
    mrn = StringField(_l("Medical record number"), validators=[Optional(), Length(max=40)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=40)])
    email = StringField(_l("Email"), validators=[Optional(), Length(max=200)])
    confirm_new = BooleanField(_l("This is another person: register a new record"))

    def values(self) -> dict[str, Any]:
        return {key: self[key].data for key in patients.HISTORY_FIELDS}


PATIENT_FIELD_LABELS = {
    "name": _l("Name"),
    "date_of_birth": _l("Date of birth"),
    "mrn": _l("Record number"),
    "phone": _l("Phone"),
    "email": _l("Email"),
}


class MergeForm(FlaskForm):
    into_patient_id = HiddenField(validators=[DataRequired()])


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


class VoidForm(FlaskForm):
    """Not given: why (SAFE-14)."""

    reason = StringField(validators=[DataRequired(), Length(max=20)])
    note = StringField(validators=[Optional(), Length(max=1000)])


class CorrectionForm(FlaskForm):
    site = StringField(_l("Site"), validators=[Optional(), Length(max=80)])
    volume = VolumeField(_l("Volume (mL)"), validators=[Optional()])
    reason = StringField(_l("Why the record is corrected"), validators=[DataRequired(), Length(max=1000)])


class AllergyForm(FlaskForm):
    substance = StringField(_l("Substance"), validators=[DataRequired(), Length(max=80)])
    reaction = StringField(_l("Reaction"), validators=[Optional(), Length(max=1000)])


@bp.app_context_processor
def _clinic_helpers() -> dict[str, Any]:
    return {
        "reason_text": scanning.reason_text,
        "allergy_text": scanning.allergy_text,
        "void_reason_label": lambda value: label(VOID_REASON_LABELS, value),
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
    duplicates = None
    if form.validate_on_submit():
        try:
            patient = patients.create_patient(form.values(), confirm_new=form.confirm_new.data)
        except DomainError as error:
            form_failed(form, error)
            if error.code == "possible_duplicate":
                duplicates = patients.possible_duplicates(form.values())
        else:
            flash(_("%(name)s is registered.", name=patient.name), "success")
            _hint_shared_phone(patient)
            return redirect(url_for("clinic.patient", patient_id=patient.id))
    return render_template("clinic/patient_form.html", form=form, patient=None, duplicates=duplicates)


def _hint_shared_phone(patient: Patient) -> None:
    """A shared phone is common in families: a hint, never a refusal."""
    if others := patients.sharing_phone(patient):
        names = ", ".join(other.name for other in others)
        flash(_("The phone number is also that of %(names)s.", names=names), "info")


@bp.route("/patients/<int:patient_id>/edit", methods=["GET", "POST"])
@permission_required(Permission.WRITE_PATIENTS)
def edit_patient(patient_id: int) -> str | Response:
    found = patients.get_patient(patient_id)
    if found.merged_into_id is not None:
        flash(_("This record was merged: change the record kept."), "error")
        return redirect(url_for("clinic.patient", patient_id=found.merged_into_id))
    form = PatientForm(obj=found)
    if form.validate_on_submit():
        try:
            patients.update_patient(found.id, form.values())
        except DomainError as error:
            form_failed(form, error)
        else:
            flash(_("The changes to %(name)s are saved.", name=found.name), "success")
            return redirect(url_for("clinic.patient", patient_id=found.id, _anchor="history"))
    return render_template("clinic/patient_form.html", form=form, patient=found, duplicates=None)


@bp.route("/patients/<int:patient_id>/merge", methods=["GET", "POST"])
@permission_required(Permission.WRITE_PATIENTS)
def merge_patient(patient_id: int) -> str | Response:
    """Choose the record to keep (possible duplicates first, or search), confirm, merge."""
    found = patients.get_patient(patient_id)
    form = MergeForm()
    if form.validate_on_submit() and str(form.into_patient_id.data).isdigit():
        try:
            kept = patients.merge_patients(found.id, int(form.into_patient_id.data))
        except DomainError as error:
            flash(error.message, "error")
        else:
            flash(_("%(name)s's records are merged into this one.", name=kept.name), "success")
            return redirect(url_for("clinic.patient", patient_id=kept.id))
    query = request.args.get("q", "").strip()
    chosen = None
    if into := request.args.get("into", type=int):
        chosen = patients.get_patient(into)
        form.into_patient_id.data = str(chosen.id)
    candidates = patients.merge_candidates(found, query)
    return render_template(
        "clinic/patient_merge.html",
        patient=found,
        candidates=candidates,
        query=query,
        chosen=chosen,
        chosen_sessions=patients.sessions_of(chosen.id) if chosen else [],
        sessions=patients.sessions_of(found.id),
        form=form,
    )


@bp.route("/patients/<int:patient_id>")
@permission_required(Permission.READ_PATIENTS)
def patient(patient_id: int) -> str:
    found = patients.get_patient(patient_id)
    return render_template(
        "clinic/patient.html",
        patient=found,
        kept=patients.get_patient(found.merged_into_id) if found.merged_into_id else None,
        sessions=patients.sessions_of(found.id),
        events=vigilance.events_of_patient(found.id),
        history=patients.history(found.id),
        field_labels=PATIENT_FIELD_LABELS,
        form=SessionForm(),
        safety=patients.safety_context(found.id),
        allergy_form=AllergyForm(formdata=None),
    )


@bp.route("/patients/<int:patient_id>/allergies", methods=["POST"])
@permission_required(Permission.WRITE_PATIENTS)
def add_allergy(patient_id: int) -> Response:
    """SAFE-12: record an allergy from the patient page."""
    form = AllergyForm()
    if not form.validate_on_submit():
        flash(_("Name the substance the patient is allergic to."), "error")
    else:
        try:
            allergy = patients.add_allergy(
                patient_id, form.substance.data or "", form.reaction.data or "", user=_user()
            )
        except DomainError as error:
            flash(error.message, "error")
        else:
            flash(_("Allergy to %(substance)s recorded.", substance=allergy.substance), "success")
    return redirect(url_for("clinic.patient", patient_id=patient_id))


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
        safety=patients.safety_context(chosen.id) if chosen else None,
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
        safety=patients.safety_context(treatment.patient_id),
        pending=context.pop("pending", None)
        or (None if context.get("outcome") else sessions.pending_administration(treatment.id)),
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
        "correct_form": CorrectionForm(formdata=None),
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
            if error.code == "previous_pending":
                context["pending"] = sessions.pending_administration(treatment.id)
        else:
            context["outcome"], status = outcome, 201 if outcome.ok else 409
    elif form.volume.errors:
        # SAFE-14: say what is wrong with the volume typed, keep nothing for the next scan.
        message = " ".join(str(error) for error in form.volume.errors)
        context["scan_error"], status = _("The volume could not be read: %(why)s", why=message), 422
    else:
        context["scan_error"], status = _("The scan could not be read. Please scan again."), 422
    # Nothing carries over (SAFE-14): the next scan starts with an empty site and volume.
    context["scan_form"] = ScanForm(formdata=None)
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


@bp.route("/sessions/<int:session_id>/administrations/<int:administration_id>/void", methods=["POST"])
@permission_required(Permission.ADMINISTER)
def void(session_id: int, administration_id: int) -> Any:
    """Not given (SAFE-14): the same service as POST /api/v1/administrations/{id}/void."""
    form = VoidForm()
    message, category, status = _("The syringe is recorded as not given."), "success", 200
    if not form.validate_on_submit():
        message, category, status = _("Choose why the syringe was not given."), "error", 422
    else:
        try:
            sessions.void_administration(
                administration_id,
                form.reason.data or "",
                form.note.data or "",
                user=_user(),
                session_id=session_id,
            )
        except DomainError as error:
            message, category, status = error.message, "error", error.status
    if _wants_fragment():
        if status == 200:
            return "", 204
        treatment = sessions.get_session(session_id)
        return render_template(
            "clinic/_verdict.html",
            session=treatment,
            button=ButtonForm(),
            scan_error=message,
            pending=sessions.pending_administration(treatment.id),
        ), status
    flash(message, category)
    return redirect(url_for("clinic.session", session_id=session_id))


@bp.route("/sessions/<int:session_id>/administrations/<int:administration_id>/corrections", methods=["POST"])
@permission_required(Permission.ADMINISTER)
def correct(session_id: int, administration_id: int) -> Response:
    """A wrong site or volume, corrected by an appended correction with a reason (SAFE-14)."""
    form = CorrectionForm()
    if not form.validate_on_submit():
        errors = [str(error) for field_errors in form.errors.values() for error in field_errors]
        flash(_("The correction was not recorded: %(why)s", why=" ".join(errors)), "error")
        return redirect(url_for("clinic.session", session_id=session_id))
    site = form.site.data
    try:
        sessions.correct_administration(
            administration_id,
            sessions.Correction(
                reason=form.reason.data or "", site=site if site else None, volume_ul=form.volume.data
            ),
            user=_user(),
            session_id=session_id,
        )
    except DomainError as error:
        flash(error.message, "error")
    else:
        flash(_("The correction is recorded."), "success")
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
@permission_required(Permission.ADMINISTER)
def summary(session_id: int) -> str:
    """A clean printable page for the patient's chart: what was given, from which lots."""
    treatment = sessions.get_session(session_id)
    rows = sessions.administrations_of(treatment.id)
    administered = [row for row in rows if not row.voided]
    contents = {row.id: scanning.syringe_contents(row.syringe) for row in administered}
    return render_template(
        "clinic/summary.html",
        session=treatment,
        administrations=administered,
        voided=[row for row in rows if row.voided],
        contents=contents,
        checked=sessions.identity_checked([row.id for row in administered]),
        printed_at=clock.now(),
        SessionStatus=SessionStatus,
    )
