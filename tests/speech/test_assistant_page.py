"""The kiosk assistant page in Chromium with a fake microphone playing a spoken question."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from flask import Flask

from checkin.codes import issue_code
from core.runtime import Runtime
from recognition.speech.synth import babble, mix_noise
from tests.browser_support import chromium, live_server
from tests.conftest import device_caller
from tests.speech.conftest import Summit, Voice

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def microphone_file(say: Voice, text: str, tmp_path: Path, crowd_db: float | None = None) -> Path:
    """The question with a quiet lead-in and a long pause after it (Chromium loops the file);
    with `crowd_db`, six talkers' babble under all of it at that SNR."""
    out, padded = tmp_path / "mic.wav", tmp_path / "padded.wav"
    subprocess.run(
        ["sox", "-R", str(say(text, "en-us", 150)), str(padded), "pad", "0.5", "2.5"], check=True
    )
    if crowd_db is not None:
        crowd = babble(tmp_path / "crowd.wav", 20.0)
        padded = mix_noise(padded, crowd, tmp_path / "noisy.wav", crowd_db)
    subprocess.run(["sox", "-R", str(padded), "-r", "48000", str(out)], check=True)
    return out


def microphone_flags(mic: Path) -> list[str]:
    """Chromium's fake microphone playing `mic`, allowed without asking."""
    return [
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-audio-capture={mic}",
        "--autoplay-policy=no-user-gesture-required",
    ]


def test_spoken_question_shows_words_and_answer_on_the_kiosk_page(
    app: Flask, runtime: Runtime, summit: Summit, say: Voice, tmp_path: Path
) -> None:
    kiosk = device_caller(app, runtime, "kiosk", name="assistant-kiosk")
    token = kiosk.headers["Authorization"].removeprefix("Bearer ")
    mic = microphone_file(say, "what is the wifi password", tmp_path)
    with live_server(app) as base, chromium(microphone_flags(mic)) as browser:
        page = browser.new_page()
        page.goto(f"{base}/kiosk/assistant#token={token}&speech=en")
        assert "token" not in page.url
        page.wait_for_selector("#mic:not([hidden])")  # English has a speech model
        page.wait_for_selector("#status:not(:empty)")  # no eval: the page's CSP forbids it
        page.click("#mic")
        page.wait_for_selector("#answer[data-intent]", timeout=20000)
        assert page.get_attribute("#answer", "data-intent") == "wifi"
        assert "Summit-Guest" in page.text_content("#answer")
        assert page.text_content("#transcript") == "what is the wifi password"
        assert page.is_hidden("#loud-hint")  # a quiet room: no hint
        page.click("#lang")
        assert page.text_content("#mic") == "Press and ask aloud"


def test_in_a_loud_hall_the_page_gives_that_reason_and_offers_typing(
    app: Flask, runtime: Runtime, summit: Summit, say: Voice, tmp_path: Path
) -> None:
    kiosk = device_caller(app, runtime, "kiosk", name="assistant-kiosk")
    token = kiosk.headers["Authorization"].removeprefix("Bearer ")
    mic = microphone_file(say, "how do i get on the wireless network", tmp_path, crowd_db=0.0)
    with live_server(app) as base, chromium(microphone_flags(mic)) as browser:
        page = browser.new_page()
        page.goto(f"{base}/kiosk/assistant#token={token}&speech=en")
        page.wait_for_selector("#mic:not([hidden])")
        page.wait_for_selector("#status:not(:empty)")
        page.click("#mic")
        page.wait_for_timeout(5000)  # the question once, in babble the pause may never come
        if page.get_attribute("#answer", "data-intent") is None:
            page.click("#mic")  # "Done"
        page.wait_for_selector("#answer[data-intent]", timeout=20000)
        assert page.get_attribute("#answer", "data-loud") == "true"
        assert page.get_attribute("#answer", "data-answered") == "false"
        assert page.text_content("#answer").startswith("It is loud here")  # the asker's language
        assert page.text_content("#loud-hint") == "这里比较嘈杂：点选常见问题或输入问题会更快。"
        assert page.is_visible("#loud-hint")  # stays for the next delegates
        # "none of these" leads to typing, labelled in the page's language
        page.wait_for_selector("#confirm:not([hidden]) #candidates .choice")
        assert page.text_content("#again") == "都不是，改为输入问题"
        page.click("#lang")
        assert page.text_content("#again") == "None of these: type it instead"
        assert page.text_content("#loud-hint").startswith("It is loud here")
        page.click("#again")
        assert page.evaluate("document.activeElement.id") == "question"
        page.fill("#question", "what is the wifi password")
        page.click("#ask-submit")  # typed: says nothing about the hall, the hint stays
        page.wait_for_selector("#answer[data-intent=wifi]")
        assert page.is_visible("#loud-hint")


def test_entrance_code_at_the_code_box_gets_one_personal_answer_then_is_forgotten(
    app: Flask, runtime: Runtime, summit: Summit, say: Voice, tmp_path: Path
) -> None:
    kiosk = device_caller(app, runtime, "kiosk", name="assistant-kiosk")
    token = kiosk.headers["Authorization"].removeprefix("Bearer ")
    mic = microphone_file(say, "where is my hotel", tmp_path)
    with live_server(app) as base, chromium(microphone_flags(mic)) as browser:
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


def test_chinese_without_a_speech_model_offers_typing_tapping_and_confirm(
    app: Flask, runtime: Runtime, summit: Summit, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("VOSK_MODEL_ZH", raising=False)  # no Chinese speech model here
    kiosk = device_caller(app, runtime, "kiosk", name="assistant-kiosk")
    token = kiosk.headers["Authorization"].removeprefix("Bearer ")
    with live_server(app) as base, chromium() as browser:
        page = browser.new_page()
        page.goto(f"{base}/kiosk/assistant#token={token}")
        page.wait_for_selector("#no-mic:not([hidden])")  # Chinese preselected, no microphone
        assert page.is_checked("input[name=speech][value=zh]")
        assert page.is_hidden("#mic")
        assert "run.py" not in page.text_content("body")  # no developer command for delegates
        page.fill("#question", "我的酒店在哪里")
        page.click("#ask-submit")
        page.wait_for_selector("#answer[data-intent=my_hotel]")
        assert page.is_visible("#identify")  # personal: show the code, or go to a face kiosk
        assert "入场码" in page.text_content("#answer")
        page.click("#common .choice[data-intent=wifi]")
        page.wait_for_selector("#answer[data-intent=wifi]")
        assert "Summit-Guest" in page.text_content("#answer")
        page.fill("#question", "什么时候")  # too vague to answer: confirm instead
        page.click("#ask-submit")
        page.wait_for_selector("#confirm:not([hidden]) #candidates .choice")
        assert page.get_attribute("#answer", "data-answered") == "false"
        buttons = page.query_selector_all("#candidates .choice")
        assert 2 <= len(buttons) <= 3
        first = buttons[0].get_attribute("data-intent")
        buttons[0].click()
        page.wait_for_selector(f"#answer[data-intent={first}][data-answered=true]")
        assert page.is_hidden("#confirm")
