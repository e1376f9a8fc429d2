"""The scan verdict (SAFE-06): every reason that applies, near misses kept, one administration per syringe."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from inventory import clock
from inventory.errors import Invalid
from inventory.models import Administration, AuditEntry, Recall, ScanAttempt, Syringe
from inventory.rules.bud import Component, compute_bud
from inventory.rules.policy import Category, Storage
from inventory.services import scanning, sessions, usability
from tests import factories
from tests.support import selects, statements_run

ISTANBUL = ZoneInfo("Europe/Istanbul")
pytestmark = pytest.mark.usefixtures("in_request")


def scan(session, raw, user, **kwargs):
    return scanning.scan(session.id, raw, user=user, **kwargs)


def test_safe_06_good_syringe_is_administered(db, make_syringe, open_session, practitioner):
    made = make_syringe()
    outcome = scan(open_session, made.syringe.code, practitioner, site="scalp")

    assert outcome.ok
    assert outcome.reasons == []
    administration = db.session.scalar(select(Administration))
    assert administration.syringe_id == made.syringe.id
    assert administration.volume_ul == made.syringe.volume_ul
    assert administration.site == "scalp"
    assert administration.practitioner_id == practitioner.id
    assert db.session.get(Syringe, made.syringe.id).status == "administered"
    attempt = db.session.scalar(select(ScanAttempt))
    assert (attempt.verdict, attempt.administration_id) == ("ok", administration.id)
    actions = set(db.session.scalars(select(AuditEntry.action)))
    assert "syringe_administered" in actions


def test_partial_volume_is_recorded(db, make_syringe, open_session, practitioner):
    made = make_syringe(syringe={"volume_ul": 5000})
    scan(open_session, made.syringe.code, practitioner, volume_ul=2500)
    assert db.session.scalar(select(Administration.volume_ul)) == 2500


def test_volume_larger_than_syringe_is_invalid_and_records_nothing(
    db, make_syringe, open_session, practitioner
):
    made = make_syringe(syringe={"volume_ul": 2000})
    with pytest.raises(Invalid) as raised:
        scan(open_session, made.syringe.code, practitioner, volume_ul=2001)
    assert raised.value.status == 422
    assert db.session.scalar(select(func.count(Administration.id))) == 0
    assert db.session.get(Syringe, made.syringe.id).status == "available"


def reasons_for(session, raw, user):
    outcome = scan(session, raw, user)
    assert not outcome.ok
    return outcome.reasons


@pytest.mark.parametrize(
    "raw",
    ["S0000000000", "hello", "", "V1234567890", "SILLY0000", "B0123456789"],
    ids=["no-such-syringe", "garbage", "empty", "vial-code", "letters-never-guessed", "batch-code"],
)
def test_safe_06_unknown_code(db, open_session, practitioner, raw):
    assert reasons_for(open_session, raw, practitioner) == ["unknown_code"]
    attempt = db.session.scalar(select(ScanAttempt))
    assert (attempt.verdict, attempt.syringe_id) == ("blocked", None)


def test_safe_05_not_released_syringe_is_blocked(make_syringe, open_session, practitioner):
    made = make_syringe(status="awaiting_verification", syringe={"status": "awaiting_verification"})
    assert reasons_for(open_session, made.syringe.code, practitioner) == ["not_released"]


def test_safe_02_bud_passed(make_syringe, open_session, practitioner):
    made = make_syringe(bud=clock.now() - timedelta(minutes=5))
    assert reasons_for(open_session, made.syringe.code, practitioner) == ["bud_passed"]


def test_safe_01_expired_component(make_syringe, open_session, practitioner):
    made = make_syringe(lots=[{}, {"expiry": clock.today() - timedelta(days=1)}])
    assert reasons_for(open_session, made.syringe.code, practitioner) == ["expired_component"]


def test_exp_01_component_expiring_today_is_still_usable(make_syringe, open_session, practitioner):
    made = make_syringe(lots=[{"expiry": clock.today()}])
    assert scan(open_session, made.syringe.code, practitioner).ok


def test_safe_03_quarantined_batch_blocks_scan(make_syringe, open_session, practitioner):
    made = make_syringe(status="quarantined")
    assert reasons_for(open_session, made.syringe.code, practitioner) == ["quarantined"]


def test_safe_03_quarantined_lot_blocks_scan(make_syringe, open_session, practitioner):
    made = make_syringe(lots=[{}, {"status": "quarantined"}])
    assert reasons_for(open_session, made.syringe.code, practitioner) == ["quarantined"]


def test_safe_03_recalled_lot_blocks_scan(make_syringe, open_session, practitioner):
    made = make_syringe(lots=[{"status": "recalled"}])
    assert reasons_for(open_session, made.syringe.code, practitioner) == ["recalled"]


def test_safe_03_recall_on_record_blocks_even_if_the_lot_row_was_not_updated(
    db, make_syringe, open_session, practitioner
):
    made = make_syringe()
    lot = made.lots[0]
    db.session.add(
        Recall(
            product_id=lot.product_id,
            lot_number=lot.number,
            classification="I",
            reason="sterility",
            created_by_id=practitioner.id,
        )
    )
    db.session.commit()
    assert reasons_for(open_session, made.syringe.code, practitioner) == ["recalled"]


def test_safe_08_biological_component_without_lot_blocks(make_syringe, open_session, practitioner):
    made = make_syringe()
    enzyme = factories.ProductFactory(category="enzyme", biological=True)
    factories.RecipeComponentFactory(recipe=made.batch.recipe, product=enzyme)
    assert reasons_for(open_session, made.syringe.code, practitioner) == ["missing_lot"]


def test_safe_08_lot_drawn_into_another_batch_does_not_count(make_syringe, open_session, practitioner):
    enzyme = factories.ProductFactory(category="enzyme", biological=True)
    made = make_syringe()
    factories.RecipeComponentFactory(recipe=made.batch.recipe, product=enzyme)
    make_syringe(lots=[{"product": enzyme}])  # the enzyme went into another batch, not this one
    assert reasons_for(open_session, made.syringe.code, practitioner) == ["missing_lot"]


def test_safe_08_biological_component_with_its_lot_is_fine(make_syringe, open_session, practitioner):
    enzyme = factories.ProductFactory(category="enzyme", biological=True)
    made = make_syringe(lots=[{}, {"product": enzyme}])
    assert scan(open_session, made.syringe.code, practitioner).ok


def test_safe_06_already_administered(make_syringe, open_session, practitioner):
    made = make_syringe()
    outcome = scan(open_session, made.syringe.code, practitioner)
    assert outcome.administration is not None
    sessions.confirm_identity(open_session.id, outcome.administration.id, user=practitioner)
    assert reasons_for(open_session, made.syringe.code, practitioner) == ["already_administered"]


def test_safe_06_discarded(make_syringe, open_session, practitioner):
    made = make_syringe(syringe={"status": "discarded", "discard_reason": "damaged"})
    assert reasons_for(open_session, made.syringe.code, practitioner) == ["discarded"]


def test_safe_06_wrong_patient(make_syringe, open_session, practitioner):
    someone_else = factories.PatientFactory()
    made = make_syringe(patient_id=someone_else.id)
    assert reasons_for(open_session, made.syringe.code, practitioner) == ["wrong_patient"]


def test_patient_specific_syringe_in_its_own_patients_session_is_ok(make_syringe, open_session, practitioner):
    made = make_syringe(patient_id=open_session.patient_id)
    assert scan(open_session, made.syringe.code, practitioner).ok


def test_closed_session_blocks_every_scan(make_syringe, practitioner):
    closed = factories.SessionFactory(practitioner=practitioner, status="closed", closed_at=clock.now())
    made = make_syringe()
    assert reasons_for(closed, made.syringe.code, practitioner) == ["session_closed"]
    assert reasons_for(closed, "nonsense", practitioner) == ["unknown_code", "session_closed"]


def test_safe_06_every_reason_at_once(db, make_syringe, practitioner):
    someone_else = factories.PatientFactory()
    closed = factories.SessionFactory(practitioner=practitioner, status="closed")
    made = make_syringe(
        status="quarantined",
        patient_id=someone_else.id,
        bud=clock.now() - timedelta(hours=1),
        lots=[{"status": "recalled", "expiry": clock.today() - timedelta(days=3)}, {"status": "quarantined"}],
        syringe={"status": "discarded"},
    )
    reasons = reasons_for(closed, made.syringe.code, practitioner)
    assert reasons == [
        "bud_passed",
        "expired_component",
        "quarantined",
        "recalled",
        "discarded",
        "wrong_patient",
        "session_closed",
    ]
    attempt = db.session.scalar(select(ScanAttempt))
    assert attempt.reasons == reasons
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "scan_blocked"))
    assert entry.details["reasons"] == reasons


def test_near_miss_changes_nothing_but_is_kept(db, make_syringe, open_session, practitioner):
    made = make_syringe(bud=clock.now() - timedelta(minutes=1))
    scan(open_session, made.syringe.code, practitioner)
    assert db.session.get(Syringe, made.syringe.id).status == "available"
    assert db.session.scalar(select(func.count(Administration.id))) == 0
    assert db.session.scalar(select(func.count(ScanAttempt.id))) == 1


@pytest.mark.parametrize(
    "typed",
    [
        "{code_lower}",
        "  {code} \r\n",
        "{code}\n",
        "{spaced}",
        "https://clinic.example/s/{code}",
        "http://192.168.1.10:5000/syringes/{code_lower}/?from=label",
    ],
    ids=["lower-case", "spaces-and-crlf", "trailing-enter", "spaced-out", "url", "url-lower-query"],
)
def test_forgiving_input_finds_the_syringe(make_syringe, open_session, practitioner, typed):
    made = make_syringe()
    code = made.syringe.code
    raw = typed.format(code=code, code_lower=code.lower(), spaced=" ".join([code[:4], code[4:8], code[8:]]))
    outcome = scan(open_session, raw, practitioner)
    assert outcome.ok
    assert outcome.code == code


def test_input_is_never_guessed(make_syringe, open_session, practitioner):
    """A letter O typed for a zero is another code, not a near match."""
    made = make_syringe(syringe={"code": "S0000000001"})
    assert reasons_for(open_session, "SOOOOOOOOO1", practitioner) == ["unknown_code"]
    assert reasons_for(open_session, made.syringe.code[:-1], practitioner) == ["unknown_code"]


def _t8_bud() -> datetime:
    start = datetime(2025, 3, 10, 14, 5, tzinfo=ISTANBUL)
    components = [Component(product_id=i, sterile=True, lot_expiry=date(2026, 1, 31)) for i in (1, 2, 3)]
    return compute_bud(
        category=Category.IMMEDIATE,
        storage=Storage.ROOM,
        prepared_at=start,
        components=components,
        tz=ISTANBUL,
    )


@pytest.mark.parametrize(
    ("at", "blocked"),
    [((18, 5, 0), False), ((18, 5, 1), True), ((18, 6, 0), True), ((18, 7, 0), True)],
    ids=["18:05:00", "18:05:01", "18:06:00", "18:07"],
)
def test_bud_t8_scan_at_18_06_is_blocked(make_syringe, practitioner, at: tuple[int, int, int], blocked):
    bud = _t8_bud()
    assert bud == datetime(2025, 3, 10, 18, 5, tzinfo=ISTANBUL)
    with clock.frozen_at(datetime(2025, 3, 10, 14, 5, tzinfo=ISTANBUL)):
        made = make_syringe(
            category="immediate",
            prepared_at=clock.now(),
            bud=bud,
            lots=[{"expiry": date(2026, 1, 31)}] * 3,
        )
        session = factories.SessionFactory(practitioner=practitioner)
    with clock.frozen_at(datetime(2025, 3, 10, *at, tzinfo=ISTANBUL)):
        outcome = scan(session, made.syringe.code, practitioner)
    assert outcome.reasons == (["bud_passed"] if blocked else [])


def test_block_reasons_for_many_syringes_in_one_query(db, make_syringe, app):
    good = make_syringe()
    late = make_syringe(bud=clock.now() - timedelta(hours=1))
    recalled = make_syringe(lots=[{"status": "recalled"}])
    ids = [good.syringe.id, late.syringe.id, recalled.syringe.id]
    db.session.commit()
    with statements_run(db.engine) as statements:
        found = usability.syringe_reasons(ids, clock.now())
    assert found == dict(zip(ids, [[], ["bud_passed"], ["recalled"]], strict=True))
    assert len(selects(statements)) == 1


def test_block_reasons_of_nothing_is_empty():
    assert usability.syringe_reasons([], datetime.now(UTC)) == {}


def test_every_reason_has_words():
    for reason in scanning.REASONS:
        assert scanning.reason_text(reason) != reason


def test_a_scan_reads_the_session_and_the_syringe_once_each(db, make_syringe, open_session, practitioner):
    """The chair's hot path (issue 16): the session's lock and the syringe with its verdict are one
    statement each, and a good scan's totals reuse them instead of reading the session and the syringe
    again; a blocked scan reads nothing more."""
    good, used = make_syringe(), make_syringe(syringe={"status": "administered"})
    db.session.commit()
    codes, session_id, user_id = (good.syringe.code, used.syringe.code), open_session.id, practitioner.id
    db.session.expunge_all()  # a request starts with nothing loaded but the token's user
    user = db.session.get(type(practitioner), user_id)
    _ = user.roles
    with statements_run(db.engine) as statements:
        given = scanning.scan(session_id, codes[0], user=user)
    reads = selects(statements)
    assert given.ok
    assert sum(statement.startswith("SELECT treatment_sessions.") for statement in reads) == 1
    assert sum(statement.startswith("SELECT syringes.") for statement in reads) == 1
    assert len(reads) == 6  # and the batch's cost share, the session's other syringes, the contents (2)
    assert given.administration is not None
    sessions.confirm_identity(session_id, given.administration.id, user=user)
    db.session.expunge_all()
    user = db.session.get(type(practitioner), user_id)
    _ = user.roles
    with statements_run(db.engine) as statements:
        assert not scanning.scan(session_id, codes[1], user=user).ok
    assert len(selects(statements)) == 2
