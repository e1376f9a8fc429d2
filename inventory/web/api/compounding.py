"""/api/v1 endpoints of the compounding area (api.md "Compounding"): recipes, batches, syringes."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from inventory.models.compounding import Batch, Indication, Recipe, Route, Syringe
from inventory.permissions import Permission, permission_required, require
from inventory.rules.policy import Category, Storage
from inventory.services import batches, recipes, usability
from inventory.web.api import ApiBlueprint
from inventory.web.api.fields import InputSchema, QuerySchema, VolumeMl

blp = ApiBlueprint("api_compounding", __name__, url_prefix="/api/v1", description="compounding")


# --- recipes ---------------------------------------------------------------------------------------


class RecipeComponentIn(InputSchema):
    product_id = fields.Integer(required=True, validate=validate.Range(min=1))
    volume_ul = VolumeMl(required=True, data_key="volume_ml")


class RecipeIn(InputSchema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    indication = fields.String(required=True, validate=validate.OneOf([i.value for i in Indication]))
    route = fields.String(required=True, validate=validate.OneOf([r.value for r in Route]))
    storage = fields.String(
        load_default=Storage.ROOM.value, validate=validate.OneOf([s.value for s in Storage])
    )
    notes = fields.String(load_default="", validate=validate.Length(max=2000))
    active = fields.Boolean(load_default=True)
    components = fields.List(
        fields.Nested(RecipeComponentIn), required=True, validate=validate.Length(min=1, max=20)
    )


class RecipePatch(RecipeIn):
    """Every field optional; only the fields sent change (components: the whole new list, each
    component complete). A change of name, indication, route, storage or components is a new version."""


RECIPE_PATCH_FIELDS = ("name", "indication", "route", "storage", "notes", "active", "components")


class RecipeComponentOut(Schema):
    product_id = fields.Integer()
    product = fields.String(attribute="product.name")
    volume_ml = VolumeMl(attribute="volume_ul")


class RecipeVersionOut(Schema):
    """What a version holds, and what the recipe holds now (its newest version)."""

    version = fields.Integer()
    name = fields.String()
    indication = fields.String()
    route = fields.String()
    storage = fields.String()
    volume_ml = VolumeMl(attribute="volume_ul")
    components = fields.List(fields.Nested(RecipeComponentOut))


class RecipeVersionDetailOut(RecipeVersionOut):
    created_at = fields.DateTime()
    created_by = fields.Integer(attribute="created_by_id", allow_none=True)


class RecipeOut(RecipeVersionOut):
    id = fields.Integer()
    notes = fields.String()
    active = fields.Boolean()
    versions = fields.List(fields.Nested(RecipeVersionDetailOut))


class RecipeList(Schema):
    items = fields.List(fields.Nested(RecipeOut))


@blp.route("/recipes", methods=["GET"])
@permission_required(Permission.READ_CATALOGUE)
@blp.response(200, RecipeList)
def list_recipes() -> dict[str, Any]:
    return {"items": recipes.list_recipes()}


@blp.route("/recipes", methods=["POST"])
@permission_required(Permission.EDIT_RECIPES)
@blp.arguments(RecipeIn)
@blp.response(201, RecipeOut)
def create_recipe(data: dict[str, Any]) -> Recipe:
    """A master formula: components with their volume per syringe (practitioners, managers)."""
    return recipes.create_recipe(data)


@blp.route("/recipes/<int:recipe_id>", methods=["GET"])
@permission_required(Permission.READ_CATALOGUE)
@blp.response(200, RecipeOut)
def get_recipe(recipe_id: int) -> Recipe:
    return recipes.get_recipe(recipe_id)


@blp.route("/recipes/<int:recipe_id>", methods=["PATCH"])
@permission_required(Permission.EDIT_RECIPES)
@blp.arguments(RecipePatch(partial=RECIPE_PATCH_FIELDS))
@blp.response(200, RecipeOut)
def update_recipe(data: dict[str, Any], recipe_id: int) -> Recipe:
    """Change a recipe; batches already prepared keep what they drew. Audited."""
    return recipes.update_recipe(recipes.get_recipe(recipe_id), data)


# --- batches ---------------------------------------------------------------------------------------


class BatchIn(InputSchema):
    recipe_id = fields.Integer(required=True, validate=validate.Range(min=1))
    syringes = fields.Integer(required=True, validate=validate.Range(min=1, max=batches.MAX_SYRINGES))
    category = fields.String(required=True, validate=validate.OneOf([c.value for c in Category]))
    storage = fields.String(required=True, validate=validate.OneOf([s.value for s in Storage]))
    patient_id = fields.Integer(load_default=None, allow_none=True)
    vials = fields.List(fields.Integer(validate=validate.Range(min=1)), load_default=None, allow_none=True)
    override_reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))
    prepared_at = fields.AwareDateTime(load_default=None, allow_none=True)
    storage_unit_id = fields.Integer(
        load_default=None,
        allow_none=True,
        validate=validate.Range(min=1, max=2**31 - 1),
        metadata={
            "description": "COLD-01: the unit the syringes go into (not warmer than `storage`); "
            "default: the clinic's only unit of that kind"
        },
    )


class BatchDrawOut(Schema):
    vial_id = fields.Integer()
    vial_code = fields.String()
    product_id = fields.Integer()
    lot_id = fields.Integer()
    lot = fields.String()
    expiry = fields.Date()
    volume_ml = VolumeMl(attribute="volume_ul")
    override_reason = fields.String(allow_none=True)


class BatchSyringeOut(Schema):
    id = fields.Integer()
    code = fields.String()
    number = fields.Integer()
    volume_ml = VolumeMl(attribute="volume_ul")
    status = fields.String()
    storage = fields.String()
    bud = fields.DateTime()
    storage_unit_id = fields.Integer(allow_none=True)
    blocked_reason = fields.String(allow_none=True)
    blocked_reasons = fields.List(fields.String())


class BatchOut(Schema):
    id = fields.Integer()
    code = fields.String()
    recipe_id = fields.Integer()
    recipe_version = fields.Integer(attribute="recipe_version.version")
    recipe_name = fields.String(attribute="recipe_version.name")
    route = fields.String(attribute="recipe_version.route")
    components = fields.List(fields.Nested(RecipeComponentOut), attribute="recipe_version.components")
    status = fields.String()
    category = fields.String()
    storage = fields.String()
    patient_id = fields.Integer(allow_none=True)
    syringe_count = fields.Integer()
    volume_per_syringe_ml = VolumeMl(attribute="volume_per_syringe_ul")
    prepared_by = fields.Integer(attribute="prepared_by_id")
    prepared_at = fields.DateTime()
    verified_by = fields.Integer(attribute="verified_by_id", allow_none=True)
    verified_at = fields.DateTime(allow_none=True)
    bud = fields.DateTime()
    draws = fields.List(fields.Nested(BatchDrawOut))
    syringes = fields.List(fields.Nested(BatchSyringeOut))


class BatchSummary(Schema):
    id = fields.Integer()
    code = fields.String()
    recipe_id = fields.Integer()
    recipe_version = fields.Integer(attribute="recipe_version.version")
    recipe_name = fields.String(attribute="recipe_version.name")
    status = fields.String()
    category = fields.String()
    storage = fields.String()
    patient_id = fields.Integer(allow_none=True)
    syringe_count = fields.Integer()
    prepared_by = fields.Integer(attribute="prepared_by_id")
    prepared_at = fields.DateTime()
    bud = fields.DateTime()


class BatchList(Schema):
    items = fields.List(fields.Nested(BatchSummary))


class BatchVerifyIn(InputSchema):
    volume_ul = VolumeMl(required=True, data_key="volume_ml")
    vials = fields.List(
        fields.String(validate=validate.Length(max=200)),
        load_default=None,
        validate=validate.Length(max=200),
        metadata={"description": "The verifier's scans of every vial drawn (V…); none at all is a mismatch."},
    )


class BatchStorageIn(InputSchema):
    storage = fields.String(required=True, validate=validate.OneOf([s.value for s in Storage]))


class SyringeDiscardIn(InputSchema):
    reason = fields.String(required=True, validate=validate.OneOf(batches.SYRINGE_DISCARD_REASONS))
    note = fields.String(load_default="", validate=validate.Length(max=500))


class BatchListArgs(QuerySchema):
    status = fields.String(
        load_default=None, validate=validate.OneOf(["awaiting_verification", "released", "quarantined"])
    )


def _batch_out(batch: Batch) -> dict[str, Any]:
    verdicts = usability.syringe_verdicts(batch.syringes)
    syringes = [
        {
            **{column.key: getattr(syringe, column.key) for column in Syringe.__table__.columns},
            "blocked_reason": verdicts[syringe.id].blocked_reason,
            "blocked_reasons": list(verdicts[syringe.id].reasons),
        }
        for syringe in batch.syringes
    ]
    return {
        **{column.key: getattr(batch, column.key) for column in Batch.__table__.columns},
        "recipe_version": batch.recipe_version,
        "draws": batches.draws_with_lots(batch),
        "syringes": syringes,
    }


@blp.route("/batches", methods=["GET"])
@permission_required(Permission.READ_CATALOGUE)
@blp.arguments(BatchListArgs, location="query")
@blp.response(200, BatchList)
def list_batches(args: dict[str, Any]) -> dict[str, Any]:
    return {"items": batches.list_batches(status=args.get("status"))}


@blp.route("/batches", methods=["POST"])
@permission_required(Permission.COMPOUND)
@blp.arguments(BatchIn)
@blp.response(201, BatchOut)
def create_batch(data: dict[str, Any]) -> dict[str, Any]:
    """Prepare a batch: draws FEFO (or the vials given, with a reason), all or nothing."""
    user = require(Permission.COMPOUND)
    request = batches.BatchRequest(
        recipe_id=data["recipe_id"],
        syringes=data["syringes"],
        category=data["category"],
        storage=data["storage"],
        patient_id=data["patient_id"],
        vial_ids=tuple(data["vials"]) if data["vials"] else None,
        override_reason=data["override_reason"],
        prepared_at=data["prepared_at"],
        storage_unit_id=data["storage_unit_id"],
    )
    return _batch_out(batches.prepare_batch(request, user))


#: For the cold-chain endpoints that answer a batch.
batch_out = _batch_out


@blp.route("/batches/<int:batch_id>", methods=["GET"])
@permission_required(Permission.READ_CATALOGUE)
@blp.response(200, BatchOut)
def get_batch(batch_id: int) -> dict[str, Any]:
    return _batch_out(batches.get_batch(batch_id))


@blp.route("/batches/<int:batch_id>/verify", methods=["POST"])
@permission_required(Permission.COMPOUND)
@blp.arguments(BatchVerifyIn)
@blp.response(200, BatchOut)
def verify_batch(data: dict[str, Any], batch_id: int) -> dict[str, Any]:
    """Independent two-person check (SAFE-05, SAFE-15): another person scans every vial drawn and
    re-enters the volume per syringe."""
    user = require(Permission.COMPOUND)
    return _batch_out(batches.verify_batch(batch_id, data["volume_ul"], user, data["vials"]))


@blp.route("/batches/<int:batch_id>/storage", methods=["POST"])
@permission_required(Permission.COMPOUND)
@blp.arguments(BatchStorageIn)
@blp.response(200, BatchOut)
def move_batch(data: dict[str, Any], batch_id: int) -> dict[str, Any]:
    """Move the unused syringes to another storage; warmer can shorten their BUD (BUD-07)."""
    user = require(Permission.COMPOUND)
    return _batch_out(batches.move_storage(batch_id, data["storage"], user))


@blp.route("/syringes/<code>/discard", methods=["POST"])
@permission_required(Permission.COMPOUND)
@blp.arguments(SyringeDiscardIn)
@blp.response(200, BatchSyringeOut)
def discard_syringe(data: dict[str, Any], code: str) -> Any:
    user = require(Permission.COMPOUND)
    return batches.discard_syringe(code, data["reason"], data["note"], user)
