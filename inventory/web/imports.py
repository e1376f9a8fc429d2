"""The go-live import pages (managers, admins): upload, check (dry run) row by row, then import; the
templates to download. The same service and row schemas as POST /api/v1/imports/…."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, render_template, request
from flask_babel import gettext as _
from flask_wtf import FlaskForm

from inventory.errors import DomainError
from inventory.permissions import Permission, permission_required
from inventory.services import imports
from inventory.web.api.imports import run_import

bp = Blueprint("imports", __name__, url_prefix="/imports")


@bp.route("", methods=["GET", "POST"])
@permission_required(Permission.EDIT_PRODUCTS)
def upload() -> str:
    form = FlaskForm()
    kind = request.values.get("kind", "products")
    if kind not in imports.KINDS:
        abort(404)
    result = None
    if request.method == "POST" and form.validate_on_submit():
        dry_run = request.form.get("action") != "import"
        try:
            result = run_import(kind, dry_run=dry_run)
        except DomainError as error:
            flash(error.message, "error")
        else:
            if not result.ok:
                flash(
                    _("Some rows have errors: nothing was imported. Correct the file and check it again."),
                    "error",
                )
            elif dry_run:
                flash(_("Every row can be imported. Choose the file again and press Import."), "success")
            else:
                flash(_("%(n)d rows imported.", n=result.created), "success")
    return render_template(
        "imports/upload.html", form=form, kind=kind, columns=imports.KINDS[kind], result=result
    )


@bp.route("/template/<kind>.csv")
@permission_required(Permission.EDIT_PRODUCTS)
def template(kind: str) -> Response:
    if kind not in imports.KINDS:
        abort(404)
    return Response(
        imports.template_csv(kind),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{kind}-template.csv"'},
    )
