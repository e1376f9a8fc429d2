"""Realistic demo data (domain.md §5), marked as demo. Brands and volumes are plausible, not authoritative."""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import select

from inventory.extensions import db
from inventory.models import Product, User
from inventory.services import auth, catalogue, recipes, transaction

#: username, roles, name. Passwords are generated at load and printed once: none is known in advance,
#: none is the same on two installs.
DEMO_USERS: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("nurse", ("nurse",), "Ayşe Yılmaz"),
    ("practitioner", ("practitioner",), "Dr Elif Şahin"),
    ("manager", ("manager",), "Mehmet Demir"),
    ("admin", ("admin",), "Clinic Admin"),
)

# Crockford-like: no 0/O, 1/I/L to misread when typed from the terminal.
_PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def generate_password() -> str:
    """Three groups of five random characters (about 74 bits), e.g. ``k7mnp-q2x9a-hr4tz``."""
    return "-".join("".join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(5)) for _ in range(3))


ML = 1000

# name, category, strength, container, mL, storage, in-use days, sterile, biological, GTIN, cost
DEMO_PRODUCTS: tuple[tuple[Any, ...], ...] = (
    (
        "Lidocaine HCl 2% 20 mL",
        "anaesthetic",
        "20 mg/mL",
        "multi_dose",
        20,
        "room",
        28,
        True,
        False,
        "08690000000012",
        1250,
    ),
    (
        "Hyaluronidase 150 U/mL 1 mL",
        "enzyme",
        "150 U/mL",
        "single_dose",
        1,
        "fridge",
        None,
        True,
        True,
        "08690000000029",
        4500,
    ),
    (
        "Non-crosslinked hyaluronic acid 1% 2 mL",
        "hyaluronic_acid",
        "10 mg/mL",
        "ampoule",
        2,
        "room",
        None,
        True,
        False,
        "08690000000036",
        3800,
    ),
    (
        "Polyrevitalising HA solution 3 mL",
        "hyaluronic_acid",
        "",
        "single_dose",
        3,
        "room",
        None,
        True,
        False,
        "08690000000043",
        6200,
    ),
    (
        "Polyrevitalising HA solution 5 mL",
        "hyaluronic_acid",
        "",
        "single_dose",
        5,
        "room",
        None,
        True,
        False,
        "08690000000050",
        8900,
    ),
    (
        "Vitamin C 100 mg/mL 5 mL",
        "vitamin",
        "100 mg/mL",
        "ampoule",
        5,
        "room",
        None,
        True,
        False,
        "08690000000067",
        900,
    ),
    (
        "Dexpanthenol 250 mg/mL 2 mL",
        "vitamin",
        "250 mg/mL",
        "ampoule",
        2,
        "room",
        None,
        True,
        False,
        "08690000000074",
        450,
    ),
    (
        "Biotin 5 mg/mL 1 mL",
        "vitamin",
        "5 mg/mL",
        "ampoule",
        1,
        "room",
        None,
        True,
        False,
        "08690000000081",
        600,
    ),
    (
        "DMAE 3% 5 mL",
        "other",
        "30 mg/mL",
        "single_dose",
        5,
        "room",
        None,
        True,
        False,
        "08690000000098",
        1100,
    ),
    (
        "Organic silicon 5 mL",
        "other",
        "",
        "single_dose",
        5,
        "room",
        None,
        True,
        False,
        "08690000000104",
        1300,
    ),
    (
        "Artichoke extract 5 mL",
        "extract",
        "",
        "single_dose",
        5,
        "room",
        None,
        False,
        False,
        "08690000000111",
        800,
    ),
    (
        "Ginkgo biloba extract 5 mL",
        "extract",
        "",
        "single_dose",
        5,
        "room",
        None,
        False,
        False,
        "08690000000128",
        850,
    ),
    (
        "Centella asiatica extract 5 mL",
        "extract",
        "",
        "single_dose",
        5,
        "room",
        None,
        False,
        False,
        "08690000000135",
        900,
    ),
    ("L-carnitine 5 mL", "other", "", "single_dose", 5, "room", None, True, False, "08690000000142", 700),
    ("Caffeine 5 mL", "other", "", "single_dose", 5, "room", None, True, False, "08690000000159", 650),
    (
        "Phosphatidylcholine/deoxycholate 250 mg/5 mL (off-label)",
        "other",
        "50 mg/mL",
        "single_dose",
        5,
        "room",
        None,
        True,
        False,
        "08690000000166",
        2400,
    ),
    (
        "Sodium chloride 0.9% 10 mL",
        "diluent",
        "9 mg/mL",
        "single_dose",
        10,
        "room",
        None,
        True,
        False,
        "08690000000173",
        150,
    ),
)

# SAFE-12: the active substances of each demo product, by product name prefix (domain.md §6).
DEMO_SUBSTANCES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Lidocaine", ("lidocaine",)),
    ("Hyaluronidase", ("hyaluronidase",)),
    ("Non-crosslinked hyaluronic acid", ("hyaluronic acid",)),
    ("Polyrevitalising HA", ("hyaluronic acid",)),
    ("Vitamin C", ("ascorbic acid",)),
    ("Dexpanthenol", ("dexpanthenol",)),
    ("Biotin", ("biotin",)),
    ("DMAE", ("dmae",)),
    ("Organic silicon", ("silicon",)),
    ("Artichoke", ("artichoke",)),
    ("Ginkgo", ("ginkgo biloba",)),
    ("Centella", ("centella asiatica",)),
    ("L-carnitine", ("l-carnitine",)),
    ("Caffeine", ("caffeine",)),
    ("Phosphatidylcholine", ("phosphatidylcholine", "deoxycholate")),
)


def demo_substances(name: str) -> list[str]:
    return next((list(found) for prefix, found in DEMO_SUBSTANCES if name.startswith(prefix)), [])


# recipe, indication, route, [(product name prefix, mL)]
DEMO_RECIPES: tuple[tuple[str, str, str, tuple[tuple[str, float], ...]], ...] = (
    (
        "Skin cocktail",
        "skin",
        "intradermal",
        (("Non-crosslinked", 2), ("Vitamin C", 1), ("DMAE", 1), ("Organic silicon", 1)),
    ),
    (
        "Hair cocktail",
        "hair",
        "intradermal",
        (("Dexpanthenol", 1), ("Biotin", 1), ("Organic silicon", 2), ("Ginkgo", 1)),
    ),
    (
        "Cellulite cocktail",
        "cellulite",
        "subcutaneous",
        (
            ("Artichoke", 2),
            ("Organic silicon", 2),
            ("L-carnitine", 2),
            ("Caffeine", 2),
            ("Hyaluronidase", 1),
            ("Lidocaine", 1),
        ),
    ),
    ("Glow booster (immediate use)", "skin", "intradermal", (("Non-crosslinked", 2), ("Vitamin C", 1))),
)


def is_loaded() -> bool:
    return db.session.scalar(select(User.id).limit(1)) is not None


def load() -> dict[str, str]:
    """Demo users, one per role, the demo catalogue and the demo recipes; each user's new password."""
    passwords = {}
    for username, roles, name in DEMO_USERS:
        passwords[username] = generate_password()
        auth.create_user(username, roles=roles, password=passwords[username], display_name=name)
    products = {}
    for row in DEMO_PRODUCTS:
        name, category, strength, container, ml, storage, in_use, sterile, biological, gtin, cost = row
        products[name] = catalogue.create_product(
            {
                "name": name,
                "category": category,
                "strength": strength,
                "container": container,
                "volume_ul": ml * ML,
                "storage": storage,
                "in_use_days": in_use,
                "sterile": sterile,
                "biological": biological,
                "gtin": gtin,
                "reorder_point": 4,
                "reorder_quantity": 10,
                "lead_time_days": 7,
                "unit_cost_minor": cost,
                "substances": demo_substances(name),
            }
        )
    with transaction():
        for product in products.values():
            product.is_demo = True
        for name, indication, route, parts in DEMO_RECIPES:
            components = [(_named(products, prefix).id, int(ml * ML)) for prefix, ml in parts]
            values = {"name": name, "indication": indication, "route": route, "is_demo": True}
            db.session.add(recipes.build_recipe(values, components))
    return passwords


def _named(products: dict[str, Product], prefix: str) -> Product:
    return next(product for name, product in products.items() if name.startswith(prefix))
