"""The scan page in Debian's Chromium: a handheld scanner (typed code + Enter) and the phone camera
(Chromium's fake camera fed a Y4M clip of the syringe's QR code). Nothing may leave the local server."""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from tests import factories
from tests.support import TEST_PASSWORD, chromium_or_skip, focused

pytestmark = pytest.mark.browser

BASE_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
WIDTH, HEIGHT, FPS = 640, 480, 10


# ---- the fake camera's clip ----------------------------------------------------------------------


def qr_image(code: str) -> Image.Image:
    try:
        from labels import qr_png

        png = qr_png(code, module_px=8)
    except ImportError:  # labels/ not there yet: the same symbol from the qrcode library
        import qrcode

        buffer = io.BytesIO()
        qrcode.make(code, border=4, box_size=8).save(buffer, format="PNG")  # type: ignore[call-arg]
        png = buffer.getvalue()
    return Image.open(io.BytesIO(png)).convert("L")


def frame_of(code: str) -> bytes:
    """One 640x480 white frame with the QR code in the middle, as planar YUV 4:2:0 (Y, then U, V)."""
    frame = Image.new("RGB", (WIDTH, HEIGHT), "white")
    symbol = qr_image(code)
    frame.paste(symbol.convert("RGB"), ((WIDTH - symbol.width) // 2, (HEIGHT - symbol.height) // 2))
    y, u, v = frame.convert("YCbCr").split()
    half = (WIDTH // 2, HEIGHT // 2)
    return y.tobytes() + u.resize(half).tobytes() + v.resize(half).tobytes()


def write_y4m(path: Path, scenes: list[tuple[str, int]]) -> Path:
    """A YUV4MPEG2 clip: each (code, frames) scene shows that code for that many frames."""
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{WIDTH} H{HEIGHT} F{FPS}:1 Ip A1:1 C420jpeg\n".encode())
        for code, frames in scenes:
            data = frame_of(code)
            for _ in range(frames):
                out.write(b"FRAME\n" + data)
    return path


# ---- browsers ------------------------------------------------------------------------------------


def drive_browser(body: Callable[[Any], None], *extra_args: str) -> None:
    """Run ``body(browser)`` with a fresh Playwright and Chromium in a thread of its own.

    Playwright's sync API refuses to start in a thread where another instance is running, and
    tests/browser keeps one for the whole session: a thread of our own works whatever ran before.
    """
    executable = chromium_or_skip()
    failures: list[BaseException] = []

    def run() -> None:
        from playwright.sync_api import sync_playwright

        try:
            with sync_playwright() as driver:
                browser = driver.chromium.launch(executable_path=executable, args=[*BASE_ARGS, *extra_args])
                try:
                    body(browser)
                finally:
                    browser.close()
        except BaseException as error:
            failures.append(error)

    thread = threading.Thread(target=run, name="clinic-browser", daemon=True)
    thread.start()
    thread.join(timeout=120)
    assert not thread.is_alive(), "the browser test did not finish within 120 s"
    if failures:
        raise failures[0]


def new_page(browser: Any, live_server: Any, username: str) -> tuple[Any, list[str]]:
    """A phone-sized page signed in through the real login page, recording every request's URL."""
    context = browser.new_context(viewport={"width": 412, "height": 860}, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    urls: list[str] = []
    page.on("request", lambda request: urls.append(request.url))
    page.goto(f"{live_server.url}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", TEST_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    return page, urls


def assert_all_local(urls: list[str], live_server: Any) -> None:
    foreign = [url for url in urls if not url.startswith((live_server.url, "data:", "blob:"))]
    assert urls
    assert not foreign, foreign


@pytest.fixture
def scene(make_syringe: Any, db: Any) -> dict[str, Any]:
    """Plain values only, and no transaction left open: on SQLite an open one would hold the write
    lock (every transaction begins IMMEDIATE) and the live server would wait for it."""
    doctor = factories.UserFactory(username="dr-elif", roles=("practitioner",))
    patient = factories.PatientFactory(name="Elif Işık")
    session = factories.SessionFactory(practitioner=doctor, patient=patient)
    good = make_syringe()
    recalled = make_syringe(lots=[{"status": "recalled"}])
    values = {
        "session_id": session.id,
        "good": good.syringe.code,
        "good_lot": good.lots[0].number,
        "recalled": recalled.syringe.code,
    }
    db.session.commit()
    return values


# ---- tests ---------------------------------------------------------------------------------------


def test_handheld_scan_shows_green_then_red_for_the_same_syringe(live_server, scene):
    def body(browser: Any) -> None:
        page, urls = new_page(browser, live_server, "dr-elif")
        page.goto(f"{live_server.url}/clinic/sessions/{scene['session_id']}")
        field = page.locator("#scan-code")
        assert focused(page, "id") == "scan-code"
        code = scene["good"]

        page.keyboard.type(code.lower())  # a handheld scanner types into the focused field...
        page.keyboard.press("Enter")  # ...and ends with Enter
        green = page.locator(".verdict.ok")
        green.wait_for()
        assert "Elif Işık" in green.inner_text()
        assert scene["good_lot"] in green.inner_text()
        # Another scan while the green screen is up neither confirms it nor replaces it.
        page.keyboard.type("S0000000000")
        page.keyboard.press("Enter")
        page.wait_for_timeout(300)
        assert page.locator(".verdict.ok").count() == 1
        assert page.locator(".verdict.blocked").count() == 0
        assert page.locator("#session-log .tag.ok").count() == 0
        page.click("[data-given]")
        assert focused(page, "id") == "scan-code"
        page.keyboard.type(code)  # the next scan at once, while the confirmation is still on its way
        page.keyboard.press("Enter")
        red = page.locator(".verdict.blocked")
        red.wait_for()
        assert red.locator('[data-reason="already_administered"]').count() == 1
        assert code in red.inner_text()
        page.locator("#session-log [data-administration] .tag.ok").wait_for()
        page.click("text=Back to scanning")
        red.wait_for(state="detached")
        assert "Near misses" in page.inner_text("#session-log")
        assert code in page.inner_text("#session-log")

        # No camera in this browser: the page says why, in words, and typing still works.
        page.click("#camera-start")
        page.locator("[data-camera-error]:not([hidden])").wait_for()
        field.type("S0000000000")
        field.press("Enter")
        page.locator('.verdict.blocked [data-reason="unknown_code"]').wait_for()
        assert_all_local(urls, live_server)

    drive_browser(body)


def test_camera_scan_reads_the_qr_and_shows_each_verdict(live_server, scene, tmp_path):
    good, recalled = scene["good"], scene["recalled"]
    clip = write_y4m(tmp_path / "syringes.y4m", [(good, 25), (recalled, 25)])

    def body(browser: Any) -> None:
        page, urls = new_page(browser, live_server, "dr-elif")
        page.goto(f"{live_server.url}/clinic/sessions/{scene['session_id']}")
        page.click("#camera-start")
        page.locator(".verdict.ok").wait_for(timeout=20_000)
        assert "Elif Işık" in page.inner_text(".verdict.ok")
        assert good in page.inner_text(".verdict.ok")
        page.click("[data-given]")

        # The clip loops: the recalled syringe comes into view next (the good one again is harmless).
        deadline = time.monotonic() + 25
        while True:
            red = page.locator(".verdict.blocked")
            red.wait_for(timeout=max(1, deadline - time.monotonic()) * 1000)
            text = red.inner_text()
            if recalled in text:
                break
            assert good in text
            assert red.locator('[data-reason="already_administered"]').count() == 1
            page.click("text=Back to scanning")
            red.wait_for(state="detached")
        assert red.locator('[data-reason="recalled"]').count() == 1
        assert page.locator("[data-camera-error]:not([hidden])").count() == 0
        assert any(url.endswith("/static/vendor/zxing-wasm/zxing_reader.wasm") for url in urls)
        assert_all_local(urls, live_server)

    drive_browser(
        body,
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={clip}",
    )
