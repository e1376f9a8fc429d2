"""Label stock geometry."""

from __future__ import annotations

import pytest

from labels import LAYOUTS, Layout, get_layout


def test_avery_l7651_grid():
    sheet = LAYOUTS["a4-l7651"]

    assert sheet.is_sheet
    assert (sheet.columns, sheet.rows, sheet.per_page) == (5, 13, 65)
    assert (sheet.label_width_mm, sheet.label_height_mm) == (38.1, 21.2)
    assert sheet.page_size_mm == (210.0, 297.0)
    assert sheet.cell_origin_mm(0) == (4.7, 10.7)
    last_x, last_y = sheet.cell_origin_mm(64)
    assert last_x == pytest.approx(4.7 + 4 * 40.6)
    assert last_y == pytest.approx(10.7 + 12 * 21.2)
    assert last_x + sheet.label_width_mm <= 210
    assert last_y + sheet.label_height_mm <= 297


@pytest.mark.parametrize(
    ("name", "size"), [("roll-50x25", (50, 25)), ("roll-62x29", (62, 29)), ("zebra-2x1in", (50.8, 25.4))]
)
def test_roll_page_is_the_label(name, size):
    roll = LAYOUTS[name]

    assert roll.is_roll
    assert roll.page_size_mm == pytest.approx(size)
    assert roll.per_page == 1


def test_custom_layouts_are_accepted_and_checked():
    custom = Layout("roll-40x20", "Roll 40 x 20 mm", 40, 20)
    assert get_layout(custom) is custom
    with pytest.raises(ValueError, match="does not fit"):
        Layout("too-big", "Too big", 100, 100, kind="sheet", columns=3, rows=3)
    with pytest.raises(ValueError, match="known layouts"):
        get_layout("nope")
