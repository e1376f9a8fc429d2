"""100 syringe labels of one batch in one PDF, against what reportlab and qrcode alone need for them.

    python -m bench.labels [--labels 100] [--layout roll-62x29] [--repeat 15]

The baseline draws the same labels with reportlab and qrcode and nothing of `labels/`: the text lines
already set (the positions and sizes our composition chose, computed before the clock starts), a QR
made by qrcode for each code and drawn as the same rectangles, the same canvas settings. What is left
over is the cost of setting the text: fitting it to the label (the font size, the grouping of the facts,
the line breaks) and the continuations. Target: within about 1.2× the baseline.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import time
from collections.abc import Callable

import qrcode
import qrcode.constants
import qrcode.util
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from labels import Captions, Ingredient, SyringeLabel, get_layout, render_pdf
from labels.compose import LabelArt, compose
from labels.qr import dark_runs, qr_matrix
from labels.typeset import font_name

CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def batch_labels(count: int) -> list[SyringeLabel]:
    """A batch of `count` syringes of a three-ingredient cocktail for one patient: the codes differ."""
    codes = ["S" + "".join(CODE_ALPHABET[(n * 7 + i * 13) % 32] for i in range(9)) for n in range(count)]
    return [
        SyringeLabel(
            code=code,
            recipe_name="Skin booster cocktail",
            ingredients=(
                Ingredient("Non-crosslinked hyaluronic acid 1%", "1 mL", "10 mg/mL"),
                Ingredient("Vitamin C", "0.5 mL", "100 mg/mL"),
                Ingredient("Dexpanthenol", "0.5 mL", "250 mg/2 mL"),
            ),
            total_volume="2 mL",
            route="Intradermal",
            bud="2026-12-02 21:00",
            storage="Refrigerate 2–8 °C",
            batch_code="B4H8N2KQ7R",
            index=number,
            count=count,
            preparer_initials="AK",
            patient_name="Işıl Güneş Çağlar",
            patient_dob="1990-04-12",
        )
        for number, code in enumerate(codes, start=1)
    ]


def baseline_pdf(arts: list[LabelArt], page_mm: tuple[float, float]) -> bytes:
    """The same labels with reportlab and qrcode only (one label per page, as on a roll)."""
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=(page_mm[0] * mm, page_mm[1] * mm), pageCompression=1)
    canvas.setViewerPreference("PrintScaling", "None")
    page_h = page_mm[1]
    matrices: dict[str, tuple[tuple[bool, ...], ...]] = {}
    for art in arts:
        matrix = matrices.get(art.qr.data)
        if matrix is None:  # one QR per syringe, as the labels of its continuation share it
            symbol = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
            symbol.add_data(qrcode.util.QRData(art.qr.data))
            symbol.make(fit=True)
            matrix = matrices[art.qr.data] = tuple(tuple(bool(m) for m in row) for row in symbol.get_matrix())
        module = art.qr.module_mm
        path = canvas.beginPath()
        for row, column, length in dark_runs(matrix):
            left = art.qr.x_mm + column * module
            bottom = page_h - (art.qr.y_mm + (row + 1) * module)
            path.rect(left * mm, bottom * mm, length * module * mm, module * mm)
        canvas.setFillGray(0)
        canvas.drawPath(path, stroke=0, fill=1)
        for line in art.lines:
            x = line.x_mm
            for run in line.runs:
                canvas.setFont(font_name(run.bold), line.size_pt)
                canvas.drawString(x * mm, (page_h - line.baseline_mm) * mm, run.text)
                x += run.width_mm(line.size_pt)
        canvas.showPage()
    canvas.save()
    return out.getvalue()


def timed(actions: list[Callable[[], object]], repeat: int) -> list[tuple[float, float]]:
    """Median and best CPU milliseconds of `repeat` runs of each action after a warm-up, the actions
    interleaved (a busy machine slows both alike; CPU time leaves out the waits for a core)."""
    times: list[list[float]] = [[] for _ in actions]
    for action in actions:
        action()
    for _ in range(repeat):
        for action, spent in zip(actions, times, strict=True):
            started = time.process_time()
            action()
            spent.append((time.process_time() - started) * 1000)
    return [(statistics.median(spent), min(spent)) for spent in times]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--labels", type=int, default=100)
    parser.add_argument("--layout", default="roll-62x29")
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    spec = get_layout(args.layout)
    if not spec.is_roll:
        parser.error("the baseline draws one label per page: choose a roll layout")
    labels = batch_labels(args.labels)
    arts = [art for label in labels for art in compose(label, spec, Captions())]

    def ours_pdf() -> bytes:
        qr_matrix.cache_clear()  # the baseline makes every QR: so do we
        return render_pdf(labels, spec)

    ours, base = timed([ours_pdf, lambda: baseline_pdf(arts, spec.page_size_mm)], args.repeat)
    print(f"{args.labels} syringe labels of one batch, {len(arts)} labels printed, layout {spec.name}")
    print(f"  labels.render_pdf          CPU median {ours[0]:7.1f} ms   best {ours[1]:7.1f} ms")
    print(f"  reportlab + qrcode alone   CPU median {base[0]:7.1f} ms   best {base[1]:7.1f} ms")
    print(
        f"  ratio                          median {ours[0] / base[0]:6.2f}×    best {ours[1] / base[1]:6.2f}×"
    )
    print("  load average: " + " ".join(f"{load:.2f}" for load in os.getloadavg()))


if __name__ == "__main__":
    main()
