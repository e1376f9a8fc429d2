"""Pages of the trace area: search, lot/patient/session/batch family trees, recalls with their
follow-up, adverse events and signals. A second blueprint serves the recall's CSV at /recalls/…"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import (
    Blueprint,
    Response,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from markupsafe import Markup
from sqlalchemy import select
from werkzeug.wrappers import Response as WerkzeugResponse
from wtforms import DateTimeLocalField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from inventory import clock
from inventory.errors import DomainError, NotFound
from inventory.extensions import db
from inventory.models.catalogue import Product
from inventory.models.clinic import TreatmentSession
from inventory.models.recall import RecallClass
from inventory.names import (
    FOLLOW_UP_LABELS,
    RECALL_CLASS_LABELS,
    SEVERITY_LABELS,
    TRACE_STATUS_LABELS,
    label,
)
from inventory.permissions import Permission, permission_required
from inventory.services import lot_trace, recalls, trace, vigilance
from inventory.web.downloads import download
from inventory.web.errors import form_failed

bp = Blueprint("trace", __name__, url_prefix="/trace")
recall_exports = Blueprint("recall_exports", __name__)

STATUS_KINDS = {
    "recalled": "stop",
    "quarantined": "stop",
    "unreachable": "stop",
    "available": "ok",
    "released": "ok",
    "administered": "ok",
    "sealed": "ok",
    "contacted": "ok",
    "awaiting_verification": "warn",
    "unused": "warn",
    "open": "warn",
    "pending": "warn",
}


@bp.app_context_processor
def _labels() -> dict[str, Any]:
    return {"follow_up_labels": FOLLOW_UP_LABELS}


@bp.app_template_global("trace_status_label")
def status_label(status: str) -> str:
    return label(TRACE_STATUS_LABELS, status)


@bp.app_template_global("trace_status_tag")
def status_tag(status: str) -> Markup:
    """The status as a tag, written once per status and request (a lot's page shows hundreds)."""
    tags: dict[str, Markup] = g.setdefault("trace_status_tags", {})
    if status not in tags:
        tags[status] = Markup('<span class="tag {}">{}</span>').format(
            STATUS_KINDS.get(status, ""), status_label(status)
        )
    return tags[status]


def _choices(labels: dict[Any, Any]) -> list[SelectChoice]:
    return [SelectChoice(key.value, label) for key, label in labels.items()]


def _optional_int(value: Any) -> int | None:
    return int(value) if value not in (None, "", "None") else None


# --- search and family trees ---------------------------------------------------------------------


@bp.route("/")
@permission_required(Permission.TRACE)
def search() -> str | WerkzeugResponse:
    results = trace.search(request.args.get("q", ""))
    if results.lot_id:
        return redirect(url_for("trace.lot", lot_id=results.lot_id))
    if results.batch_id:
        return redirect(url_for("trace.batch", batch_id=results.batch_id))
    return render_template("trace/search.html", results=results)


@bp.route("/lots/<int:lot_id>")
@permission_required(Permission.TRACE)
def lot(lot_id: int) -> str:
    """Counts of everything made from the lot, and a page of each long list (the CSV has every row)."""
    found = lot_trace.lot_overview(
        lot_id,
        patients=request.args.get("patients", type=int),
        vials=request.args.get("vials", type=int),
        batches=request.args.get("batches", type=int),
    )
    return render_template(
        "trace/lot.html",
        trace=found,
        signal=vigilance.signal_for_lot(lot_id),
        events=vigilance.events_of_lot(lot_id),
        recall=recalls.recall_for(found.lot.product_id, found.lot.number),
    )


@bp.route("/lots/<int:lot_id>.csv")
@permission_required(Permission.TRACE)
def lot_csv(lot_id: int) -> Response:
    """Every administration of the lot, the CSV written a chunk at a time as it is sent."""
    number, rows = lot_trace.lot_csv(lot_id)
    return download(
        rows,
        "text/csv; charset=utf-8",
        f"lot-{number}-administrations.csv",
        entity=("lot", lot_id),
    )


@bp.route("/batches/<int:batch_id>")
@permission_required(Permission.TRACE)
def batch(batch_id: int) -> str:
    return render_template("trace/batch.html", trace=trace.batch_trace(batch_id))


@bp.route("/patients/<int:patient_id>")
@permission_required(Permission.TRACE)
def patient(patient_id: int) -> str:
    return render_template(
        "trace/patient.html", trace=trace.patient_back(patient_id), session=None, events=[]
    )


@bp.route("/sessions/<int:session_id>")
@permission_required(Permission.TRACE)
def session(session_id: int) -> str:
    found = trace.session_back(session_id)
    return render_template(
        "trace/patient.html",
        trace=found,
        session=db.session.get(TreatmentSession, session_id),
        events=vigilance.events_of_session(session_id),
    )


# --- recalls -------------------------------------------------------------------------------------


class RecallForm(FlaskForm):
    lot_id = SelectField(_l("A lot the clinic has"), coerce=_optional_int, validators=[Optional()])
    product_id = SelectField(_l("Or: product"), coerce=_optional_int, validators=[Optional()])
    lot = StringField(_l("and lot number"), validators=[Optional(), Length(max=20)])
    classification = SelectField(_l("Class"), choices=_choices(RECALL_CLASS_LABELS), default=RecallClass.II)
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=2000)])
    reference = StringField(_l("Manufacturer's or authority's reference"), validators=[Length(max=80)])

    def fill_choices(self) -> None:
        self.lot_id.choices = [SelectChoice("", _("— choose a lot —"))] + [
            SelectChoice(str(lot.id), f"{lot.product.name} · {lot.number} · {lot.expiry.isoformat()}")
            for lot in recalls.recallable_lots()
        ]
        products = db.session.scalars(select(Product).order_by(Product.name))
        self.product_id.choices = [SelectChoice("", _("— choose a product —"))] + [
            SelectChoice(str(p.id), p.name) for p in products
        ]

    def target(self) -> dict[str, Any]:
        if self.lot_id.data:
            return {"lot_id": self.lot_id.data}
        return {"product_id": self.product_id.data, "lot_number": self.lot.data or ""}


@bp.route("/recalls", endpoint="recalls")
@permission_required(Permission.QUALITY)
def recall_list() -> str:
    return render_template(
        "trace/recalls.html", recalls=recalls.list_recalls(), signal_count=vigilance.signal_count()
    )


@bp.route("/recalls/new", methods=["GET", "POST"])
@permission_required(Permission.QUALITY)
def new_recall() -> str | WerkzeugResponse:
    form = RecallForm()
    form.fill_choices()
    if request.method == "GET" and request.args.get("lot_id", "").isdigit():
        form.lot_id.data = int(request.args["lot_id"])
    if not form.validate_on_submit():
        return render_template("trace/recall_form.html", form=form)
    try:
        if request.form.get("confirm") != "yes":
            return render_template(
                "trace/recall_confirm.html", form=form, preview=recalls.preview(**form.target())
            )
        recall, counts = recalls.enter_recall(
            user=current_user._get_current_object(),
            classification=form.classification.data,
            reason=form.reason.data,
            reference=form.reference.data or "",
            **form.target(),
        )
    except DomainError as error:
        form_failed(form, error)
        return render_template("trace/recall_form.html", form=form)
    flash(
        _(
            "Recall entered: %(vials)s vials, %(batches)s batches and %(syringes)s unused syringes "
            "are quarantined.",
            vials=counts.vials,
            batches=counts.batches,
            syringes=counts.syringes,
        ),
        "success",
    )
    return redirect(url_for("trace.recall", recall_id=recall.id))


class FollowUpForm(FlaskForm):
    status = SelectField(_l("Status"), choices=_choices(FOLLOW_UP_LABELS))
    note = TextAreaField(_l("Note"), validators=[Length(max=2000)])


@bp.route("/recalls/<int:recall_id>")
@permission_required(Permission.QUALITY)
def recall(recall_id: int) -> str:
    found = recalls.get_recall(recall_id)
    return render_template(
        "trace/recall.html",
        recall=found,
        quarantined=recalls.current_quarantine(found),
        form=FollowUpForm(),
    )


@bp.route("/recalls/<int:recall_id>/patients/<int:patient_id>", methods=["POST"])
@permission_required(Permission.QUALITY)
def follow_up(recall_id: int, patient_id: int) -> WerkzeugResponse:
    form = FollowUpForm()
    if form.validate_on_submit():
        try:
            recalls.update_follow_up(
                recall_id,
                patient_id,
                status=form.status.data,
                note=form.note.data or "",
                user=current_user._get_current_object(),
            )
        except DomainError as error:
            flash(error.message, "error")
        else:
            flash(_("Follow-up saved."), "success")
    else:
        flash(_("The form had a problem; nothing was saved."), "error")
    return redirect(url_for("trace.recall", recall_id=recall_id, _anchor=f"patient-{patient_id}"))


@bp.route("/recalls/<int:recall_id>/print")
@permission_required(Permission.QUALITY)
def recall_print(recall_id: int) -> str:
    found = recalls.get_recall(recall_id)
    return render_template(
        "trace/recall_print.html",
        recall=found,
        quarantined=recalls.current_quarantine(found),
        now=clock.now(),
    )


@recall_exports.route("/recalls/<int:recall_id>/patients.csv")
@permission_required(Permission.QUALITY)
def recall_patients_csv(recall_id: int) -> Response:
    found = recalls.get_recall(recall_id)
    return download(
        recalls.patients_csv(found),
        "text/csv; charset=utf-8",
        f"recall-{found.id}-{found.lot_number}-patients.csv",
        entity=("recall", found.id),
    )


# --- adverse events and signals ------------------------------------------------------------------


class AdverseEventForm(FlaskForm):
    onset_at = DateTimeLocalField(_l("Onset"), format="%Y-%m-%dT%H:%M", validators=[InputRequired()])
    severity = SelectField(_l("Severity"), choices=_choices(SEVERITY_LABELS))
    description = TextAreaField(_l("What happened"), validators=[DataRequired(), Length(max=5000)])
    outcome = TextAreaField(_l("Outcome and treatment"), validators=[Length(max=5000)])

    def onset(self) -> datetime:
        naive: datetime = self.onset_at.data
        return naive.replace(tzinfo=clock.clinic_zone())


@bp.route("/sessions/<int:session_id>/adverse-events/new", methods=["GET", "POST"])
@permission_required(Permission.ADMINISTER)
def new_adverse_event(session_id: int) -> str | WerkzeugResponse:
    visit = db.session.get(TreatmentSession, session_id)
    if visit is None:
        raise NotFound("not_found", _("No session with id %(id)s.", id=session_id))
    form = AdverseEventForm()
    if request.method == "GET":
        form.onset_at.data = clock.local(clock.now()).replace(tzinfo=None, second=0, microsecond=0)
    if form.validate_on_submit():
        try:
            event = vigilance.record_adverse_event(
                session_id=session_id,
                onset_at=form.onset(),
                severity=form.severity.data,
                description=form.description.data,
                outcome=form.outcome.data or "",
                reporter=current_user._get_current_object(),
            )
        except DomainError as error:
            form_failed(form, error)
        else:
            flash(_("The adverse event is recorded."), "success")
            return redirect(url_for("trace.adverse_event", event_id=event.id))
    return render_template(
        "trace/adverse_event_form.html", form=form, visit=visit, lots=vigilance.suspect_lots(session_id)
    )


class EventUpdateForm(FlaskForm):
    outcome = StringField(_l("Outcome now"), validators=[DataRequired(), Length(max=5000)])
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=5000)])


@bp.route("/adverse-events/<int:event_id>")
@permission_required(Permission.ADMINISTER)
def adverse_event(event_id: int) -> str:
    return render_template(
        "trace/adverse_event.html", report=vigilance.report(event_id), now=clock.now(), form=EventUpdateForm()
    )


@bp.route("/adverse-events/<int:event_id>/updates", methods=["POST"])
@permission_required(Permission.ADMINISTER)
def adverse_event_update(event_id: int) -> str | WerkzeugResponse:
    form = EventUpdateForm()
    if form.validate_on_submit():
        try:
            vigilance.add_update(
                event_id,
                outcome=form.outcome.data,
                note=form.note.data or "",
                user=current_user._get_current_object(),
            )
        except DomainError as error:
            form_failed(form, error)
        else:
            flash(_("The follow-up is added."), "success")
            return redirect(url_for("trace.adverse_event", event_id=event_id, _anchor="follow-up"))
    return render_template(
        "trace/adverse_event.html", report=vigilance.report(event_id), now=clock.now(), form=form
    )


@bp.route("/signals")
@permission_required(Permission.QUALITY)
def signals() -> str:
    found = vigilance.signals_paged(request.args.get("page", 1, type=int))
    events = vigilance.events_by_lot(
        [signal.lot_id for signal in found.items], newest=vigilance.EVENTS_PER_SIGNAL
    )
    return render_template("trace/signals.html", signals=found, events=events)
