"""The clinic's policy: domain.md's defaults, overridden by what the clinic stored."""

from __future__ import annotations

from typing import Any

from inventory.extensions import db
from inventory.models import PolicySetting
from inventory.rules.policy import DEFAULT_POLICY, Policy
from inventory.services import audit, transaction

POLICY_KEY = "compounding"


def current_policy() -> Policy:
    stored = db.session.get(PolicySetting, POLICY_KEY)
    return Policy.from_mapping(stored.value) if stored else DEFAULT_POLICY


def save_policy(values: dict[str, Any]) -> Policy:
    policy = Policy.from_mapping(values)
    with transaction():
        stored = db.session.get(PolicySetting, POLICY_KEY)
        before = stored.value if stored else DEFAULT_POLICY.to_mapping()
        if stored is None:
            stored = PolicySetting(key=POLICY_KEY, value=policy.to_mapping())
            db.session.add(stored)
        else:
            stored.value = policy.to_mapping()
        audit.record(
            "policy_changed", "policy", None, details={"changed": audit.changes(before, stored.value)}
        )
    return policy
