"""The worked scenario of domain.md §3, built with the factories."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from inventory import clock
from tests import factories as f

START = datetime(2025, 3, 10, 7, 0, tzinfo=UTC)


@pytest.fixture
def frozen(freeze):
    return freeze(START)


@pytest.fixture
def scenario(app, frozen):
    """Lot HYAL-2409: vial V7 went into batches B1 and B2 (B1 with lidocaine too). B1 made 3 syringes:
    one to P12, two to P15 on different days; B2's one syringe was discarded. V9 of HYAL-2409 is still
    sealed. V8 of HYAL-2411 was never used."""
    nurse = f.UserFactory(roles=("nurse",), username="scenario-nurse")
    hyal = f.ProductFactory(
        name="Hyaluronidase 150 U/mL 1 mL",
        category="enzyme",
        container="single_dose",
        volume_ul=1000,
        storage="fridge",
        biological=True,
        gtin="09506000134352",
    )
    lido = f.ProductFactory(name="Lidocaine HCl 2% 20 mL", category="anaesthetic", volume_ul=20000)
    lot_2409 = f.LotFactory(product=hyal, number="HYAL-2409")
    lot_2411 = f.LotFactory(product=hyal, number="HYAL-2411")
    lot_lido = f.LotFactory(product=lido, number="LIDO-77")
    v7 = f.VialFactory(lot=lot_2409, status="empty", remaining_ul=0)
    v9 = f.VialFactory(lot=lot_2409)
    v8 = f.VialFactory(lot=lot_2411)
    v_lido = f.VialFactory(lot=lot_lido, status="open", remaining_ul=17000)
    b1 = f.BatchFactory(prepared_by=nurse, syringe_count=3, prepared_at=clock.now())
    b2 = f.BatchFactory(prepared_by=nurse, syringe_count=1, category="immediate", prepared_at=clock.now())
    f.DrawFactory(batch=b1, vial=v7, volume_ul=600)
    f.DrawFactory(batch=b1, vial=v_lido, volume_ul=3000)
    f.DrawFactory(batch=b2, vial=v7, volume_ul=400)
    s1, s2, s3 = (f.SyringeFactory(batch=b1, number=n, status="administered") for n in (1, 2, 3))
    s4 = f.SyringeFactory(
        batch=b2, number=1, status="discarded", discarded_at=clock.now(), discard_reason="other"
    )
    p12 = f.PatientFactory(name="Ayşe Yılmaz", phone="+90 555 111 1212", email="ayse@example.org")
    p15 = f.PatientFactory(name="Mehmet Öz", phone="+90 555 111 1515", email="mehmet@example.org")
    session_12 = f.SessionFactory(patient=p12, started_at=clock.now())
    session_15a = f.SessionFactory(patient=p15, started_at=clock.now())
    session_15b = f.SessionFactory(patient=p15, started_at=clock.now() + timedelta(days=7))
    f.AdministrationFactory(session=session_12, syringe=s1, administered_at=clock.now())
    f.AdministrationFactory(session=session_15a, syringe=s2, administered_at=clock.now())
    f.AdministrationFactory(session=session_15b, syringe=s3, administered_at=clock.now() + timedelta(days=7))
    return SimpleNamespace(**locals())
