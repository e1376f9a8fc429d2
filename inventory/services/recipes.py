"""Recipes (master formulas): components with a volume per syringe, route, storage, indication.

Editing a recipe never changes history (SAFE-10): a change of name, indication, route, storage or
components appends a new version; a batch keeps the version it was made from, so its label, scan
verdict and trace stay what they were. The edit itself is audited with what changed.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from inventory import clock
from inventory.errors import Conflict, Invalid, NotFound
from inventory.extensions import db
from inventory.models.catalogue import Product
from inventory.models.compounding import Recipe, RecipeComponent, RecipeVersion
from inventory.rules.policy import Storage
from inventory.rules.recipes import VERSIONED_FIELDS, Change, RecipeSpec, recipe_changes
from inventory.services import audit, transaction

FIELDS = ("name", "indication", "route", "storage", "notes", "active")


def get_recipe(recipe_id: int) -> Recipe:
    recipe = db.session.get(Recipe, recipe_id)
    if recipe is None:
        raise NotFound("not_found", _("No recipe with id %(id)s.", id=recipe_id))
    return recipe


def list_recipes(*, active_only: bool = False) -> list[Recipe]:
    query = select(Recipe).order_by(Recipe.name)
    if active_only:
        query = query.where(Recipe.active.is_(True))
    return list(db.session.scalars(query))


def _components(raw: list[dict[str, Any]]) -> list[tuple[int, int]]:
    """(product_id, µL) in order; every product once, with its volume, every product known."""
    if not raw:
        raise Invalid(
            "no_components",
            _("A recipe needs at least one component."),
            fields={"components": _("Add at least one product.")},
        )
    for index, item in enumerate(raw):
        missing = [key for key in ("product_id", "volume_ul") if item.get(key) is None]
        if missing:
            names = {"product_id": "product_id", "volume_ul": "volume_ml"}
            raise Invalid(
                "invalid_input",
                _("Each component needs its product and its volume per syringe."),
                fields={f"components.{index}.{names[key]}": _("Required.") for key in missing},
            )
    pairs = [(int(item["product_id"]), int(item["volume_ul"])) for item in raw]
    ids = [product_id for product_id, _volume in pairs]
    seen: set[int] = set()
    for index, product_id in enumerate(ids):
        if product_id in seen:
            raise Invalid(
                "duplicate_component",
                _("A product appears twice in the recipe: give it once, with its whole volume."),
                fields={f"components.{index}.product_id": _("Already in the recipe.")},
            )
        seen.add(product_id)
    known = set(db.session.scalars(select(Product.id).where(Product.id.in_(ids))))
    for index, product_id in enumerate(ids):
        if product_id not in known:
            raise Invalid(
                "unknown_product",
                _("No product with id %(id)s.", id=product_id),
                fields={f"components.{index}.product_id": _("Unknown product.")},
            )
    return pairs


def _check_name(name: str, recipe_id: int | None) -> None:
    other = db.session.scalar(select(Recipe.id).where(Recipe.name == name, Recipe.id != (recipe_id or -1)))
    if other is not None:
        raise Conflict(
            "duplicate_name",
            _("A recipe named %(name)s exists.", name=name),
            fields={"name": _("This name is taken.")},
        )


def spec_of(version: RecipeVersion) -> RecipeSpec:
    return RecipeSpec(
        name=version.name,
        indication=version.indication,
        route=version.route,
        storage=version.storage,
        components=tuple((c.product_id, c.volume_ul) for c in version.components),
    )


def _snapshot(recipe: Recipe) -> dict[str, Any]:
    return {
        **{key: getattr(recipe, key) for key in FIELDS},
        "version": recipe.version,
        "components": [[c.product_id, c.volume_ul] for c in recipe.components],
    }


def _add_version(recipe: Recipe, spec: RecipeSpec) -> RecipeVersion:
    """Append the next version and make its fields the recipe's current ones."""
    number = recipe.versions[-1].version + 1 if recipe.versions else 1
    version = RecipeVersion(
        version=number,
        name=spec.name,
        indication=spec.indication,
        route=spec.route,
        storage=spec.storage,
        created_at=clock.now(),
        created_by_id=audit.acting_user_id(),
        components=[
            RecipeComponent(product_id=product_id, volume_ul=volume, position=index)
            for index, (product_id, volume) in enumerate(spec.components)
        ],
    )
    recipe.versions.append(version)
    recipe.version = number
    for key in VERSIONED_FIELDS:
        setattr(recipe, key, getattr(spec, key))
    return version


def build_recipe(values: dict[str, Any], components: list[tuple[int, int]]) -> Recipe:
    """A new recipe with its first version, not yet added to the session (demo data uses it too)."""
    values = {"storage": Storage.ROOM.value, **values}
    recipe = Recipe(**values)
    spec = RecipeSpec(**{key: values[key] for key in VERSIONED_FIELDS}, components=tuple(components))
    _add_version(recipe, spec)
    return recipe


def create_recipe(data: dict[str, Any]) -> Recipe:
    values = {key: data[key] for key in FIELDS if key in data}
    values["name"] = " ".join(str(values.get("name", "")).split())
    with transaction():
        _check_name(values["name"], None)
        recipe = build_recipe(values, _components(data.get("components") or []))
        db.session.add(recipe)
        db.session.flush()
        audit.record("recipe_created", "recipe", recipe.id, details=_snapshot(recipe))
    return recipe


def update_recipe(recipe: Recipe, data: dict[str, Any]) -> Recipe:
    """Notes and whether it is in use change on the recipe; a change of name, indication, route,
    storage or components makes a new version, and batches keep the version they were made from."""
    values = {key: data[key] for key in FIELDS if key in data}
    if "name" in values:
        values["name"] = " ".join(str(values["name"]).split())
    with transaction():
        before = _snapshot(recipe)
        if "name" in values:
            _check_name(values["name"], recipe.id)
        current = spec_of(recipe.current)
        wanted = replace(
            current,
            **{key: values[key] for key in VERSIONED_FIELDS if key in values},
            components=tuple(_components(data["components"] or []))
            if "components" in data
            else current.components,
        )
        if recipe_changes(current, wanted):
            _add_version(recipe, wanted)
        for key in ("notes", "active"):
            if key in values:
                setattr(recipe, key, values[key])
        db.session.flush()
        changed = audit.changes(before, _snapshot(recipe))
        if changed:
            audit.record("recipe_updated", "recipe", recipe.id, details={"changed": changed})
    return recipe


@dataclass(frozen=True)
class VersionView:
    """A version for the recipe page: what it holds and what changed from the one before."""

    version: RecipeVersion
    changes: list[Change]


def version_history(recipe: Recipe) -> list[VersionView]:
    """Newest first; the first version has no changes."""
    views: list[VersionView] = []
    previous: RecipeSpec | None = None
    for version in recipe.versions:
        spec = spec_of(version)
        views.append(VersionView(version, recipe_changes(previous, spec) if previous else []))
        previous = spec
    return views[::-1]
