"""Issue 16: the labels of one batch are fitted once. Every label of the batch still carries its own
code and number, scans as a standard QR, and is set as it would be alone; a label the batch's fitting
does not fit is fitted afresh."""

from __future__ import annotations

import pytest
import zxingcpp

from bench.labels import batch_labels
from labels import LAYOUTS, Captions, render_pdf, render_zpl
from labels.compose import BatchFitting, compose
from labels.typeset import text_width_mm
from tests.labels.conftest import render_page

QR = zxingcpp.BarcodeFormat.QRCode


@pytest.mark.parametrize("layout", ["roll-62x29", "roll-50x25", "a4-l7651"])
def test_lbl_02_labels_of_a_batch_are_set_as_each_would_be_alone(layout):
    labels = batch_labels(12)
    batch = BatchFitting()
    for label in labels:
        together = compose(label, LAYOUTS[layout], Captions(), batch=batch)
        alone = compose(label, LAYOUTS[layout], Captions())
        assert together == alone
        text = " ".join(line.text for art in together for line in art.lines)
        assert label.code in text
        assert f"{label.index} of {label.count}" in text


def test_lbl_02_every_label_of_a_batch_in_one_pdf_scans_as_its_own_code(pdf_pages):
    labels = batch_labels(6)
    found = []
    for page in pdf_pages(render_pdf(labels, "roll-62x29")):
        symbols = zxingcpp.read_barcodes(render_page(page, 203), formats=QR)  # type: ignore[arg-type]
        found += [(symbol.text, symbol.format) for symbol in symbols]
    parts = len(compose(labels[0], LAYOUTS["roll-62x29"], Captions()))
    assert found == [(label.code, QR) for label in labels for _part in range(parts)]


def test_lbl_02_a_label_the_batch_fitting_does_not_fit_is_fitted_afresh():
    first, second = batch_labels(2)
    spec = LAYOUTS["roll-62x29"]
    batch = BatchFitting()
    compose(first, spec, Captions(), batch=batch)
    key = BatchFitting.key(second, spec, Captions(), 8)
    known = batch.get(key)
    assert known  # the second label of the batch finds the first one's fitting
    batch.keep(key, [one._replace(size_pt=40.0) for one in known])  # a fitting that cannot hold it
    assert compose(second, spec, Captions(), batch=batch) == compose(second, spec, Captions())


def test_lbl_02_a_zpl_batch_carries_every_code():
    labels = batch_labels(5)
    zpl = render_zpl(labels, "roll-62x29")
    for label in labels:
        assert f"^FDMA,{label.code}^FS" in zpl


def test_text_widths_are_reportlabs_own():
    from reportlab.pdfbase import pdfmetrics

    from labels.typeset import PT_PER_MM, font_name

    for text in ("Işıl Güneş Çağlar", "BUD 2026-12-02 21:00", "0.5 mL"):
        for size in (5.0, 6.5, 9.0):
            for bold in (False, True):
                expected = float(pdfmetrics.stringWidth(text, font_name(bold), size)) / PT_PER_MM
                assert text_width_mm(text, size, bold) == expected
