"""SAFE-14 in every trace: the latest correction of each administration, read a chunk of ids at a time."""

from __future__ import annotations

from typing import Any

import pytest

from inventory.extensions import db
from inventory.models.clinic import AdministrationCorrection, CorrectedField
from inventory.services import trace
from tests import factories as f


def _correct(administration: Any, user: Any, **change: Any) -> None:
    field = CorrectedField.SITE if "site_after" in change else CorrectedField.VOLUME
    db.session.add(
        AdministrationCorrection(
            administration_id=administration.id,
            field=field,
            reason="charted wrong",
            corrected_by_id=user.id,
            **change,
        )
    )


@pytest.mark.parametrize("chunk", [1, 2, 1000])
def test_safe_14_the_latest_correction_of_each_whatever_the_chunk(
    app: Any, monkeypatch: Any, chunk: int
) -> None:
    monkeypatch.setattr(trace, "CORRECTIONS_CHUNK", chunk)
    nurse = f.UserFactory(roles=("nurse",), username=f"corrector-{chunk}")
    first, second, untouched = (f.AdministrationFactory(volume_ul=1000, site="arm") for _ in range(3))
    _correct(first, nurse, site_after="left thigh")
    _correct(second, nurse, volume_ul_after=700)
    _correct(first, nurse, site_after="right thigh")
    _correct(first, nurse, volume_ul_after=400)
    db.session.flush()
    ids = [untouched.id, second.id, first.id, second.id]  # repeated, out of order
    assert trace._corrected_values(ids) == {
        first.id: (400, "right thigh", True),
        second.id: (700, "arm", True),
    }
