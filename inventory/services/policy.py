"""The clinic's policy: domain.md's defaults, overridden by what the clinic stored.

Every computation asks `current_policy()` at the moment it computes, so a stored change governs from
then on (a single-dose limit set to 6 h changes `usable_until` of opened vials at once). The API and
the policy page exchange the document of api.md (`policy_document`); a limit longer than USP <797>
allows needs a reason, and the audit entry keeps every changed number as before → after."""

from __future__ import annotations

from typing import Any

from flask import g, has_app_context, has_request_context, request
from flask_babel import gettext as _

from inventory.errors import Invalid
from inventory.extensions import db
from inventory.messages import rule_message
from inventory.models import PolicySetting
from inventory.rules.errors import RuleError
from inventory.rules.policy import DEFAULT_POLICY, LimitRow, Policy, Storage, above_usp_maxima
from inventory.services import audit, transaction

POLICY_KEY = "compounding"


def current_policy() -> Policy:
    """The policy now; read once per request (a page asks for it from several services), and afresh
    after `save_policy` changes it."""
    if not has_request_context():
        return _stored_policy()
    key = id(request._get_current_object())  # type: ignore[attr-defined]
    cached: tuple[int, Policy] | None = g.get(_CACHE)
    if cached is None or cached[0] != key:
        cached = (key, _stored_policy())
        setattr(g, _CACHE, cached)
    return cached[1]


_CACHE = "_inventory_policy"


def _stored_policy() -> Policy:
    stored = db.session.get(PolicySetting, POLICY_KEY)
    return Policy.from_mapping(stored.value) if stored else DEFAULT_POLICY


def policy_document(policy: Policy) -> dict[str, Any]:
    """api.md's shape: {"bud_hours": {row: {storage: hours | None}}, "in_use": {...}}."""
    stored = policy.to_mapping()
    return {
        "bud_hours": stored["category_limits_hours"],
        "in_use": {
            "single_dose_hours": stored["single_dose_in_use_hours"],
            "multi_dose_days": stored["multi_dose_in_use_days"],
        },
    }


def _flat(document: dict[str, Any]) -> dict[str, Any]:
    """{"bud_hours.category_1.room": 12, …, "in_use.single_dose_hours": 12, …}."""
    flat: dict[str, Any] = {}
    for row, by_storage in document["bud_hours"].items():
        for storage, hours in by_storage.items():
            flat[f"bud_hours.{row}.{storage}"] = hours
    for key, value in document["in_use"].items():
        flat[f"in_use.{key}"] = value
    return flat


def _from_document(document: dict[str, Any], base: Policy) -> Policy:
    """A policy from the whole document; the immediate-use limits (not in the document) stay as they are."""
    bud = document.get("bud_hours") or {}
    in_use = document.get("in_use") or {}
    missing = [
        f"bud_hours.{row.value}.{storage.value}"
        for row in LimitRow
        for storage in Storage
        if storage.value not in (bud.get(row.value) or {})
    ]
    missing += [f"in_use.{key}" for key in ("single_dose_hours", "multi_dose_days") if key not in in_use]
    if missing:
        raise Invalid(
            "invalid_policy",
            _("Send the whole policy document: every BUD limit and both in-use limits."),
            fields=dict.fromkeys(missing, _("Missing.")),
        )
    mapping = base.to_mapping()
    mapping["category_limits_hours"] = bud
    mapping["single_dose_in_use_hours"] = in_use["single_dose_hours"]
    mapping["multi_dose_in_use_days"] = in_use["multi_dose_days"]
    try:
        return Policy.from_mapping(mapping)
    except RuleError as error:
        message = rule_message(error)
        raise Invalid("invalid_policy", message, fields={"_schema": message}) from None


def save_policy(values: dict[str, Any], *, reason: str | None = None) -> Policy:
    """Store a policy in `Policy.to_mapping`'s shape (tests and `update_policy` use it)."""
    policy = Policy.from_mapping(values)
    with transaction():
        stored = db.session.get(PolicySetting, POLICY_KEY)
        before = _stored_policy()
        changed = audit.changes(_flat(policy_document(before)), _flat(policy_document(policy)))
        if stored is None:
            stored = PolicySetting(key=POLICY_KEY, value=policy.to_mapping())
            db.session.add(stored)
        else:
            stored.value = policy.to_mapping()
        audit.record("policy_changed", "policy", None, details={"changed": changed}, reason=reason)
    if has_app_context():
        g.pop(_CACHE, None)
    return policy


def update_policy(document: dict[str, Any], *, reason: str | None = None) -> Policy:
    """PUT /api/v1/policy and the policy page: the whole document; longer than USP <797> needs a reason."""
    policy = _from_document(document, current_policy())
    reason = (reason or "").strip() or None
    above = above_usp_maxima(policy)
    if above and reason is None:
        raise Invalid(
            "reason_required",
            _("Some limits are longer than USP <797> allows: give the reason (a stability study, a rule)."),
            fields={
                "reason": _("Required for a limit above USP <797>."),
                **dict.fromkeys(above, _("Longer than USP <797> allows.")),
            },
        )
    if not audit.changes(_flat(policy_document(current_policy())), _flat(policy_document(policy))):
        return policy
    return save_policy(policy.to_mapping(), reason=reason)
