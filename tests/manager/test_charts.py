"""Server-side SVG charts: well-formed, escaped, scaled, and free of style attributes (CSP)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from inventory import charts

SVG = "{http://www.w3.org/2000/svg}"


def parse(markup: str) -> ET.Element:
    return ET.fromstring(str(markup))


@pytest.mark.parametrize(
    ("maximum", "expected"),
    [
        (0, [0.0, 1.0]),
        (7, [0, 2, 4, 6, 8]),
        (10, [0, 2.5, 5, 7.5, 10]),
        (93, [0, 25, 50, 75, 100]),
        (1200, [0, 500, 1000, 1500]),
        (0.3, [0, 0.1, 0.2, 0.3]),
    ],
)
def test_chart_ticks_are_round_and_reach_the_maximum(maximum, expected):
    ticks = charts.nice_ticks(maximum)
    assert ticks == pytest.approx(expected)
    assert ticks[-1] >= maximum


@pytest.mark.parametrize(("maximum", "expected"), [(2, [0, 1, 2]), (3, [0, 1, 2, 3]), (9, [0, 5, 10])])
def test_chart_ticks_of_counts_are_whole(maximum, expected):
    assert charts.nice_ticks(maximum, integers=True) == expected


def test_bar_chart_draws_one_scaled_bar_per_value():
    svg = parse(charts.bar_chart(["a", "b", "c"], [10, 5, 0], title="Waste", width=300, height=200))
    bars = [rect for rect in svg.iter(f"{SVG}rect") if rect.get("class") == "bar"]
    assert len(bars) == 3
    heights = [float(bar.get("height") or "nan") for bar in bars]
    assert heights[0] == pytest.approx(2 * heights[1])
    assert heights[2] == 0
    assert svg.get("role") == "img"
    assert svg.get("aria-label") == "Waste"
    assert svg.find(f"{SVG}title").text == "Waste"
    labels = [text.text for text in svg.iter(f"{SVG}text")]
    assert {"a", "b", "c", "0", "10"} <= set(labels)


def test_bar_chart_escapes_every_text():
    hostile = '<script>alert("x")</script> & "quotes"'
    markup = str(charts.bar_chart([hostile], [1], title=hostile, unit=hostile))
    assert "<script>" not in markup
    svg = parse(markup)  # still well-formed XML
    assert svg.get("aria-label") == hostile
    assert hostile in [text.text for text in svg.iter(f"{SVG}text")]


def test_charts_use_presentation_attributes_never_style():
    outputs = [
        charts.bar_chart(["a"], [1], title="t"),
        charts.line_chart(["w1", "w2"], [charts.Series("x", [1, 2]), charts.Series("y", [2, 0])], title="t"),
        charts.sparkline([1, 3, 2], title="t"),
        charts.sparkline([1, 3, 2], title="t", bars=True),
    ]
    for markup in outputs:
        assert "style" not in str(markup)
        assert any(el.get("fill") or el.get("stroke") for el in parse(markup).iter())


def test_line_chart_has_a_line_and_legend_entry_per_series():
    svg = parse(
        charts.line_chart(
            ["w1", "w2", "w3"],
            [charts.Series("Lidocaine", [1, 2, 3]), charts.Series("Biotin", [0, 0, 1])],
            title="Usage",
            unit="mL",
        )
    )
    lines = list(svg.iter(f"{SVG}polyline"))
    assert len(lines) == 2
    assert len(lines[0].get("points").split()) == 3
    texts = [text.text for text in svg.iter(f"{SVG}text")]
    assert "Lidocaine" in texts
    assert "Biotin" in texts
    assert "mL" in texts
    # the highest point of the first series sits at the top tick (3 → ticks up to 3)
    ys = [float(point.split(",")[1]) for point in lines[0].get("points").split()]
    assert ys[0] > ys[1] > ys[2]


def test_line_chart_refuses_mismatched_series():
    with pytest.raises(ValueError, match="one value per label"):
        charts.line_chart(["a", "b"], [charts.Series("x", [1])], title="t")
    with pytest.raises(ValueError, match="one value per label"):
        charts.bar_chart(["a"], [1, 2], title="t")


def test_charts_survive_empty_data():
    parse(charts.bar_chart([], [], title="empty"))
    parse(charts.line_chart([], [], title="empty"))
    parse(charts.sparkline([], title="empty"))
    parse(charts.line_chart(["only"], [charts.Series("x", [5])], title="one point"))


def test_crowded_axis_labels_are_thinned():
    labels = [f"w{n}" for n in range(52)]
    svg = parse(charts.bar_chart(labels, list(range(52)), title="year", width=640))
    shown = [text.text for text in svg.iter(f"{SVG}text") if (text.text or "").startswith("w")]
    assert 5 < len(shown) < 52
    assert shown[0] == "w0"
