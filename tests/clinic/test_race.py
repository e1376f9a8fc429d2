"""Two practitioners scan the same syringe at the same moment: one administration, one near miss."""

from __future__ import annotations

import threading
from typing import Any

from sqlalchemy import func, select

from inventory.extensions import db as _db
from inventory.models import Administration, ScanAttempt, User
from inventory.services import scanning
from tests import factories


def test_safe_06_same_syringe_scanned_twice_at_once_is_given_once(app, db, make_syringe):
    first, second = (factories.UserFactory(roles=("practitioner",)) for _ in range(2))
    sessions = [factories.SessionFactory(practitioner=user) for user in (first, second)]
    made = make_syringe()
    jobs = [(s.id, u.id) for s, u in zip(sessions, (first, second), strict=True)]
    code = made.syringe.code
    db.session.commit()
    barrier = threading.Barrier(len(jobs))
    verdicts: list[Any] = []

    def scan(session_id: int, user_id: int) -> None:
        with app.app_context(), app.test_request_context():
            user = _db.session.get(User, user_id)
            _db.session.commit()
            barrier.wait()
            try:
                assert user is not None
                verdicts.append(scanning.scan(session_id, code, user=user).reasons)
            except Exception as error:  # pragma: no cover - reported below
                verdicts.append(error)
            finally:
                _db.session.remove()

    threads = [threading.Thread(target=scan, args=job) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(verdicts, key=len) == [[], ["already_administered"]]
    assert db.session.scalar(select(func.count(Administration.id))) == 1
    assert db.session.scalar(select(func.count(ScanAttempt.id)).where(ScanAttempt.verdict == "blocked")) == 1
