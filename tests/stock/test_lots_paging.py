"""The lots page shows a page of 50 lots with paging: it does not grow with the years of lots."""

from __future__ import annotations

import re
from typing import Any

from tests import factories as f


def test_lots_page_shows_a_page_of_lots_with_their_stock(app: Any, client: Any, login_as: Any) -> None:
    product = f.ProductFactory(name="Vitamin C 5 mL")
    for number in range(60):
        lot = f.LotFactory(product=product, number=f"L{number:03d}")
        f.VialFactory(lot=lot, remaining_ul=5000)
    login_as("manager")
    first = client.get("/stock/lots").get_data(as_text=True)
    assert len(re.findall(r'href="/stock/lots/\d+">L\d{3}<', first)) == 50
    assert "Page 1 of 2 (60 in all)" in first
    assert "/stock/lots?page=2" in first
    second = client.get("/stock/lots?page=2").get_data(as_text=True)
    assert len(re.findall(r'href="/stock/lots/\d+">L\d{3}<', second)) == 10
    assert '<td class="num">1</td>' in second  # one vial in stock in each lot
