"""The kiosk assistant page in Chromium with a fake microphone playing a spoken question."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from flask import Flask

from checkin.codes import issue_code
from core.runtime import Runtime
from tests.browser_support import chromium, live_server
from tests.conftest import device_caller
from tests.speech.conftest import Summit, Voice

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def microphone_file(say: Voice, text: str, tmp_path: Path) -> Path:
    """The question with a quiet lead-in and a long pause after it (Chromium loops the file)."""
    out = tmp_path / "mic.wav"
    subprocess.run(
        ["sox", str(say(text, "en-us", 150)), "-r", "48000", str(out), "pad", "0.5", "2.5"],
        check=True,
    )
    return out


def test_spoken_question_shows_words_and_answer_on_the_kiosk_page(
    app: Flask, runtime: Runtime, summit: Summit, say: Voice, tmp_path: Path
) -> None:
    kiosk = device_caller(app, runtime, "kiosk", name="assistant-kiosk")
    token = kiosk.headers["Authorization"].removeprefix("Bearer ")
    mic = microphone_file(say, "how do i get to the exhibition hall", tmp_path)
    args = [
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-audio-capture={mic}",
        "--autoplay-policy=no-user-gesture-required",
    ]
    with live_server(app) as base, chromium(args) as browser:
        page = browser.new_page()
        page.goto(f"{base}/kiosk/assistant#token={token}&speech=en")
        assert "token" not in page.url  # the token leaves the address bar
        page.wait_for_selector("#status:not(:empty)")  # no eval: the page's CSP forbids it
        page.click("#mic")
        page.wait_for_selector("#answer[data-intent]", timeout=20000)
        assert page.get_attribute("#answer", "data-intent") == "directions"
        assert "bridge on level 2" in page.text_content("#answer")
        assert page.text_content("#transcript") == "how do i get to the exhibition hall"
        page.click("#lang")
        assert page.text_content("#mic") == "Press and ask"


def test_entrance_code_at_the_code_box_gets_one_personal_answer_then_is_forgotten(
    app: Flask, runtime: Runtime, summit: Summit, say: Voice, tmp_path: Path
) -> None:
    kiosk = device_caller(app, runtime, "kiosk", name="assistant-kiosk")
    token = kiosk.headers["Authorization"].removeprefix("Bearer ")
    mic = microphone_file(say, "where is my hotel", tmp_path)
    args = [
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-audio-capture={mic}",
        "--autoplay-policy=no-user-gesture-required",
    ]
    with live_server(app) as base, chromium(args) as browser:
        page = browser.new_page()
        page.goto(f"{base}/kiosk/assistant#token={token}&speech=en")
        page.wait_for_selector("#status:not(:empty)")
        page.click("#lang")  # English labels
        assert "entrance code" in page.text_content("#code-box")
        page.fill("#code", "SC1.not-a-code")
        page.click("#code-submit")
        page.wait_for_selector("#status:has-text('not accepted')")
        page.fill("#code", issue_code(runtime, summit.attendee_id))
        page.click("#code-submit")
        page.wait_for_selector("#who:not([hidden])")
        assert page.text_content("#who") == "A**** Walker"  # masked
        assert page.input_value("#code") == ""  # the code does not stay on a public screen
        page.click("#mic")
        page.wait_for_selector("#answer[data-intent]", timeout=20000)
        assert page.get_attribute("#answer", "data-intent") == "my_hotel"
        assert summit.room in page.text_content("#answer")
        assert page.is_hidden("#who")  # one answer per identification
