"""The gate page and the delegate phone page in Debian's Chromium, with a fake camera."""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import zxingcpp
from flask import Flask
from PIL import Image

from core.clock import SimClock, use_clock, utcnow
from core.runtime import Runtime
from models import AccessEvent, Alert
from tests.browser_support import chromium, live_server
from tests.checkin.camera_video import write_y4m
from tests.checkin.conftest import Venue, new_nonce
from tests.checkin.faces import enrol
from tests.checkin.test_gate_rules import count
from tests.conftest import Caller

pytestmark = [pytest.mark.browser, pytest.mark.slow]


# Every result the page puts on screen, in order: "class|title" each time either changes.
RECORD_RESULTS = """
window.shownResults = [];
document.addEventListener("DOMContentLoaded", () => {
  const box = document.getElementById("result");
  const note = () => {
    const title = box.querySelector(".title").textContent;
    const seen = box.hidden ? "hidden" : box.className + "|" + title;
    const list = window.shownResults;
    if (list[list.length - 1] !== seen) list.push(seen);
  };
  new MutationObserver(note).observe(box, { attributes: true, childList: true, subtree: true,
    characterData: true });
});
"""


def shown(page: Any) -> list[str]:
    """The results the page has shown so far (hidden in between included)."""
    return list(page.evaluate("window.shownResults"))


@contextmanager
def gate_page(
    app: Flask, caller: Caller, gate_id: int, video: Path, path: str = "kiosk"
) -> Iterator[Any]:
    """The kiosk (or gate) page open in Chromium whose camera plays `video`."""
    token = caller.headers["Authorization"].removeprefix("Bearer ")
    args = [
        "--use-fake-device-for-media-stream",
        "--use-fake-ui-for-media-stream",
        f"--use-file-for-fake-video-capture={video}",
    ]
    with live_server(app) as base, chromium(args) as browser:
        context = browser.new_context()
        context.add_init_script(
            f"localStorage.setItem('summit.device_token', {token!r});"
            f"localStorage.setItem('summit.gate_id', '{gate_id}');" + RECORD_RESULTS
        )
        page = context.new_page()
        page.goto(f"{base}/{path}")
        yield page


def test_an_enrolled_face_on_the_camera_is_welcomed_on_the_page(
    app: Flask,
    runtime: Runtime,
    venue: Venue,
    kiosk_device: Caller,
    faces_dir: Path,
    tmp_path: Path,
) -> None:
    enrol(
        runtime,
        venue.vip_guest,
        faces_dir / "enroll/obama/obama.jpg",
        faces_dir / "enroll/obama/obama2.jpg",
    )
    video = write_y4m(tmp_path / "obama.y4m", faces_dir / "probe/obama1.jpg")
    with gate_page(app, kiosk_device, venue.gate_in, video) as page:
        page.wait_for_selector("#result.granted", timeout=30000)
        assert page.text_content("#r-name") == "B***** Obama"
        assert "欢迎入场" in (page.text_content("#r-title") or "")
        page.click("#lang")
        assert "Welcome" in (page.text_content("#r-title") or "")


def test_a_never_enrolled_face_is_refused_on_the_page(
    app: Flask,
    runtime: Runtime,
    venue: Venue,
    kiosk_device: Caller,
    faces_dir: Path,
    tmp_path: Path,
) -> None:
    enrol(runtime, venue.vip_guest, faces_dir / "enroll/obama/obama.jpg")
    video = write_y4m(tmp_path / "biden.y4m", faces_dir / "enroll/biden/biden2.jpg")
    with gate_page(app, kiosk_device, venue.gate_in, video) as page:
        page.wait_for_selector("#result.refused", timeout=30000)
        assert "请出示入场码" in (page.text_content("#r-title") or "")
        assert page.text_content("#r-name") == ""


def decode_qr(png: bytes) -> str:
    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)).convert("RGB"))
    assert found, "no QR code in the screenshot"
    return str(found[0].text)


def test_the_phone_qr_passes_at_a_gate_and_fails_once_expired(
    app: Flask, runtime: Runtime, venue: Venue, staff: Caller, gate_device: Caller
) -> None:
    runtime.config = runtime.config.with_changes(
        extra={**runtime.config.extra, "ENTRANCE_CODE_TTL": "4"}
    )
    link = staff.post(f"/api/attendees/{venue.delegate}/portal-link").json
    with live_server(app) as base, chromium() as browser:
        page = browser.new_page()
        page.goto(f"{base}/p/{link['code']}")
        page.click("#login button[type=submit]")
        page.wait_for_selector("#qr[src^='data:image/png']")
        assert page.text_content("#who") == "张*三"
        code = decode_qr(page.locator("#qr").screenshot())
        scanned = gate_device.post(
            f"/api/gates/{venue.gate_in}/pass",
            json={"method": "code", "code": code, "nonce": new_nonce()},
        ).json
        assert (scanned["granted"], scanned["reason"]) == (True, "checked_in")
        page.wait_for_selector("#journey li[data-stage=venue_checked_in]", timeout=10000)
        time.sleep(4.5)  # past the code's 4-second life
        late = gate_device.post(
            f"/api/gates/{venue.gate_in}/pass",
            json={"method": "code", "code": code, "nonce": new_nonce()},
        ).json
        assert (late["granted"], late["reason"]) == (False, "code_expired")
        assert decode_qr(page.locator("#qr").screenshot()) != code  # the phone has rotated


def test_a_one_time_link_opens_one_phone_only(app: Flask, venue: Venue, staff: Caller) -> None:
    link = staff.post(f"/api/attendees/{venue.delegate}/portal-link").json
    first, second = app.test_client(), app.test_client()
    assert first.post("/api/public/phone/login", json={"code": link["code"]}).status_code == 200
    again = second.post("/api/public/phone/login", json={"code": link["code"].lower()})
    assert (again.status_code, again.json["error"]) == (401, "portal_code_invalid")
    assert first.get("/api/public/phone/status").json["attendee"]["name"] == "张*三"
    assert second.get("/api/public/phone/status").json["error"] == "phone_login_required"


def test_a_photo_held_to_a_gate_camera_is_refused_for_liveness_on_the_page(
    app: Flask,
    runtime: Runtime,
    venue: Venue,
    gate_device: Caller,
    faces_dir: Path,
    tmp_path: Path,
) -> None:
    enrol(runtime, venue.vip_guest, faces_dir / "enroll/obama/obama.jpg")
    video = write_y4m(tmp_path / "still.y4m", faces_dir / "probe/obama1.jpg")
    with gate_page(app, gate_device, venue.gate_in, video, "gate") as page:
        page.wait_for_selector("#result.refused", timeout=40000)
        assert "活体检测未通过" in (page.text_content("#r-title") or "")
        page.wait_for_timeout(8000)  # the photo is still held up
        assert page.is_visible("#result.refused")
        assert [s for s in shown(page) if s != "hidden"] == [shown(page)[-1]]
    assert (count(runtime, AccessEvent), count(runtime, Alert)) == (1, 1)


def test_an_admitted_delegate_who_stays_at_the_gate_sees_one_green_result_only(
    app: Flask,
    runtime: Runtime,
    venue: Venue,
    kiosk_device: Caller,
    faces_dir: Path,
    tmp_path: Path,
) -> None:
    enrol(runtime, venue.vip_guest, faces_dir / "enroll/obama/obama.jpg")
    video = write_y4m(tmp_path / "stay.y4m", faces_dir / "probe/obama1.jpg")
    with gate_page(app, kiosk_device, venue.gate_in, video) as page:
        page.wait_for_selector("#result.granted", timeout=30000)
        first = shown(page)
        page.wait_for_timeout(10000)  # the delegate stays in front of the camera
        assert page.is_visible("#result.granted")
        assert shown(page) == first and len([s for s in first if s != "hidden"]) == 1
    assert count(runtime, AccessEvent) == 1


def test_a_typed_code_answer_is_not_replaced_by_the_camera(
    app: Flask,
    runtime: Runtime,
    venue: Venue,
    kiosk_device: Caller,
    faces_dir: Path,
    tmp_path: Path,
) -> None:
    from checkin.codes import issue_code

    enrol(runtime, venue.vip_guest, faces_dir / "enroll/obama/obama.jpg")
    video = write_y4m(tmp_path / "stranger.y4m", faces_dir / "enroll/biden/biden2.jpg")
    with gate_page(app, kiosk_device, venue.gate_in, video) as page:
        page.wait_for_selector("#code-form")
        page.fill("#code", issue_code(runtime, venue.delegate))
        page.click("#code-form button")
        page.wait_for_selector("#result.granted", timeout=10000)
        start = len(shown(page)) - 1
        page.wait_for_timeout(8000)  # the stranger's face stays in view
        assert shown(page)[start:] == [shown(page)[start]]
        assert page.text_content("#r-name") == "张*三"


def test_an_entrance_qr_code_held_to_the_gate_camera_lets_the_holder_in(
    app: Flask, runtime: Runtime, venue: Venue, gate_device: Caller, tmp_path: Path
) -> None:
    import base64

    from checkin.codes import issue_code
    from checkin.portal import qr_data_url

    png = tmp_path / "qr.png"
    png.write_bytes(
        base64.b64decode(qr_data_url(issue_code(runtime, venue.delegate)).split(",")[1])
    )
    video = write_y4m(tmp_path / "qr.y4m", png, frames=10)
    with gate_page(app, gate_device, venue.gate_in, video, "gate") as page:
        page.wait_for_selector("#result.granted", timeout=30000)
        assert page.text_content("#r-name") == "张*三"
        assert "主会场" in (page.text_content("#r-detail") or "")


def test_logging_out_on_the_phone_ends_its_session_on_the_server(
    app: Flask, venue: Venue, staff: Caller
) -> None:
    link = staff.post(f"/api/attendees/{venue.delegate}/portal-link").json
    with live_server(app) as base, chromium() as browser:
        context = browser.new_context()
        page = context.new_page()
        page.goto(f"{base}/p/{link['code']}")
        page.click("#login button[type=submit]")
        page.wait_for_selector("#qr[src^='data:image/png']")
        copied = context.cookies()  # a copy of the phone's cookie, as a thief would keep it
        page.click("#forget")
        page.wait_for_selector("#login:not([hidden])")
        thief = browser.new_context()
        thief.add_cookies(copied)  # type: ignore[arg-type]
        status = thief.request.get(f"{base}/api/public/phone/status")
        assert status.status == 401
        assert status.json()["error"] == "phone_login_required"


def test_a_gate_is_set_up_from_a_token_link_by_choosing_its_gate_from_a_list(
    app: Flask, venue: Venue, gate_device: Caller
) -> None:
    token = gate_device.headers["Authorization"].removeprefix("Bearer ")
    with live_server(app) as base, chromium() as browser:
        page = browser.new_page()
        page.goto(f"{base}/gate#token={token}")
        page.wait_for_selector("#gate-list option", state="attached")
        assert token not in page.url  # the token left the address bar
        labels = page.eval_on_selector_all("#gate-list option", "os => os.map(o => o.textContent)")
        assert "主会场 · A1 · 入口" in labels
        page.select_option("#gate-list", str(venue.gate_in))
        page.click("#save")
        page.wait_for_selector("#scan:not([hidden])")
        # a function, not an expression: when the first check is false Playwright polls an
        # expression with eval(), which the page's CSP (no 'unsafe-eval') blocks (Chromium 156)
        page.wait_for_function(
            "() => document.getElementById('zone-name').textContent.includes('A1')"
        )


@pytest.fixture
def demo_clock() -> Iterator[SimClock]:
    """The server's clock at the README's 20x demo speed (as `run.py rehearse` sets it)."""
    clock = SimClock(utcnow(), 20.0)
    use_clock(clock)
    yield clock
    use_clock(None)


def test_at_20x_a_phone_code_passes_a_gate_reached_seconds_later(
    app: Flask,
    venue: Venue,
    staff: Caller,
    gate_device: Caller,
    demo_clock: SimClock,
) -> None:
    link = staff.post(f"/api/attendees/{venue.delegate}/portal-link").json
    with live_server(app) as base, chromium() as browser:
        page = browser.new_page()
        page.goto(f"{base}/p/{link['code']}")
        page.click("#login button[type=submit]")
        page.wait_for_selector("#qr[src^='data:image/png']")
        code = decode_qr(page.locator("#qr").screenshot())
        # Walking to the gate: 80 s of the summit's clock, past a code's 60 s at real speed.
        time.sleep(4)
        scanned = gate_device.post(
            f"/api/gates/{venue.gate_in}/pass",
            json={"method": "code", "code": code, "nonce": new_nonce()},
        ).json
    assert (scanned["granted"], scanned["reason"]) == (True, "checked_in")


def test_a_rate_limited_phone_login_says_wait_not_invalid(app: Flask) -> None:
    with live_server(app) as base, chromium() as browser:
        page = browser.new_page()
        page.goto(f"{base}/phone")
        for _ in range(20):  # the login's limit per minute, used up by wrong guesses
            page.request.post(f"{base}/api/public/phone/login", data={"code": "WRONG-CODE"})
        page.wait_for_selector("#login:not([hidden])")
        page.fill("#portal-code", "ANOTHER-CODE")
        page.click("#login button[type=submit]")
        page.wait_for_selector("#login-error:text('请求过多')")
        assert "无效" not in str(page.text_content("#login-error"))
