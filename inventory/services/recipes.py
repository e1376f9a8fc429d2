"""Recipes (master formulas): components with a volume per syringe, route, storage, indication.

Editing a recipe never changes history: a batch keeps its own draws, syringe volume and BUD; the
edit itself is audited with what changed.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from inventory.errors import Conflict, Invalid, NotFound
from inventory.extensions import db
from inventory.models.catalogue import Product
from inventory.models.compounding import Recipe, RecipeComponent
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
    """(product_id, µL) in order; every product once, every product known."""
    if not raw:
        raise Invalid(
            "no_components",
            _("A recipe needs at least one component."),
            fields={"components": _("Add at least one product.")},
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


def _snapshot(recipe: Recipe) -> dict[str, Any]:
    return {
        **{key: getattr(recipe, key) for key in FIELDS},
        "components": [[c.product_id, c.volume_ul] for c in recipe.components],
    }


def create_recipe(data: dict[str, Any]) -> Recipe:
    values = {key: data[key] for key in FIELDS if key in data}
    values["name"] = " ".join(str(values.get("name", "")).split())
    with transaction():
        _check_name(values["name"], None)
        pairs = _components(data.get("components") or [])
        recipe = Recipe(**values)
        recipe.components = [
            RecipeComponent(product_id=product_id, volume_ul=volume, position=index)
            for index, (product_id, volume) in enumerate(pairs)
        ]
        db.session.add(recipe)
        db.session.flush()
        audit.record("recipe_created", "recipe", recipe.id, details=_snapshot(recipe))
    return recipe


def update_recipe(recipe: Recipe, data: dict[str, Any]) -> Recipe:
    """Change fields and, when given, the whole component list; batches already made keep theirs."""
    values = {key: data[key] for key in FIELDS if key in data}
    if "name" in values:
        values["name"] = " ".join(str(values["name"]).split())
    with transaction():
        before = _snapshot(recipe)
        if "name" in values:
            _check_name(values["name"], recipe.id)
        for key, value in values.items():
            setattr(recipe, key, value)
        if "components" in data:
            pairs = _components(data["components"] or [])
            if pairs != [(c.product_id, c.volume_ul) for c in recipe.components]:
                recipe.components = [
                    RecipeComponent(product_id=product_id, volume_ul=volume, position=index)
                    for index, (product_id, volume) in enumerate(pairs)
                ]
        db.session.flush()
        changed = audit.changes(before, _snapshot(recipe))
        if changed:
            audit.record("recipe_updated", "recipe", recipe.id, details={"changed": changed})
    return recipe
