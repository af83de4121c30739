"""Face template updates on the phone page and the console attendee page, in Chromium.

The attendee allows and stops updates and removes the updated photos from their phone; staff
record or withdraw the consent and remove updates one by one or all, after a question. Updates
are seeded through the service that stores them after a code pass (recognition.face.update),
with a vector in place of a real capture: these tests are about the pages, not the faces.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import pytest
from flask import Flask

from checkin.portal import issue_portal_code
from core.runtime import Runtime
from models.db import transaction
from models.face import FaceUpdateConsent
from recognition.face import update
from recognition.face.api import face_service
from tests.browser_support import chromium, live_server
from tests.conftest import PASSWORD, Caller
from tests.face.conftest import last_actor
from tests.factories import make_attendee, make_gate, make_zone

pytestmark = pytest.mark.browser


def new_attendee(rt: Runtime, consent_face: bool = True) -> int:
    with transaction(rt.sessions) as db:
        return make_attendee(db, rt.pii, name="林小雨", consent_face=consent_face).id


def new_gate(rt: Runtime) -> int:
    with transaction(rt.sessions) as db:
        return make_gate(db, make_zone(db), "A1").id


def seed_update(rt: Runtime, attendee_id: int, gate_id: int) -> int:
    """One updated template as a code pass at the gate would store it (any vector will do)."""
    svc = face_service(rt)
    vector = np.random.default_rng(attendee_id).standard_normal(svc.info.dim).astype(np.float32)
    capture = update.Capture(vector / np.linalg.norm(vector), b"", {}, 0.9)
    with transaction(rt.sessions) as db:
        return update.store_update(svc, db, attendee_id, capture, f"gate:{gate_id}", "test")


def consents(rt: Runtime, attendee_id: int) -> bool:
    with transaction(rt.sessions, read_only=True) as db:
        return update.consents(db, attendee_id)


def updates_of(rt: Runtime, attendee_id: int) -> list[int]:
    with transaction(rt.sessions, read_only=True) as db:
        return [t.id for t in update.update_templates(db, attendee_id)]


@contextmanager
def phone_of(app: Flask, rt: Runtime, attendee_id: int) -> Iterator[Any]:
    """The attendee's phone page in Chinese, opened once with a fresh one-time link."""
    with transaction(rt.sessions) as db:
        code = issue_portal_code(db, attendee_id, "staff:test", 24)
    with live_server(app) as base, chromium() as browser:
        page = browser.new_page()
        page.goto(f"{base}/p/{code}")
        page.click("#login button[type=submit]")
        page.wait_for_selector("#qr[src^='data:image/png']")
        page.wait_for_selector("#fu:not([hidden])")
        yield page


def wait_text(page: Any, selector: str, text: str) -> None:
    page.wait_for_function(
        "([sel, text]) => (document.querySelector(sel)?.textContent || '').includes(text)",
        arg=[selector, text],
    )


def test_the_attendee_allows_removes_and_stops_face_updates_on_the_phone_page(
    app: Flask, runtime: Runtime
) -> None:
    aid, gate = new_attendee(runtime), new_gate(runtime)
    with phone_of(app, runtime, aid) as page:
        assert page.text_content("#fu-title") == "人脸更新"
        assert "最多保存3张" in str(page.text_content("#fu"))
        assert page.text_content("#fu-state") == "未允许人脸更新"
        assert page.is_hidden("#fu-remove") and page.is_hidden("#fu-no-face")
        page.click("#fu-toggle:text('允许人脸更新')")
        wait_text(page, "#fu-msg", "已允许人脸更新")
        assert consents(runtime, aid) and "已允许人脸更新（" in str(page.text_content("#fu-state"))

        for _ in range(2):
            seed_update(runtime, aid, gate)
        page.reload()
        page.wait_for_selector("#fu-list li >> nth=1")
        assert page.text_content("#fu-count") == "已保存 2 张更新照片（最多 3 张）"
        lines = page.eval_on_selector_all("#fu-list li", "els => els.map(e => e.textContent)")
        assert all(line.endswith(f"· 闸机 {gate}") for line in lines), lines  # no "gate:N"
        page.click("#fu-remove")
        assert page.text_content("#fu-confirm-text") == "确定删除全部 2 张更新照片吗？"
        page.click("#fu-remove-yes")
        wait_text(page, "#fu-msg", "已删除 2 张更新照片")
        assert updates_of(runtime, aid) == [] and consents(runtime, aid)  # consent stays
        assert last_actor(runtime, "face_updates_removed") == f"attendee:{aid}"

        seed_update(runtime, aid, gate)
        page.reload()
        page.wait_for_selector("#fu-list li")
        page.click("#fu-toggle:text('停止人脸更新并删除更新照片')")
        wait_text(page, "#fu-msg", "已停止人脸更新，删除了 1 张更新照片")
        assert not consents(runtime, aid) and updates_of(runtime, aid) == []
        assert page.text_content("#fu-state") == "未允许人脸更新"
        page.click("#lang")
        assert page.text_content("#fu-title") == "Face updates"
        assert page.text_content("#fu-toggle") == "Allow face updates"


def test_without_face_consent_the_phone_says_updates_need_it_first(
    app: Flask, runtime: Runtime
) -> None:
    aid = new_attendee(runtime, consent_face=False)
    with phone_of(app, runtime, aid) as page:
        # The server says so with the list (face_consent: false): no refused tap first.
        page.wait_for_selector("#fu-no-face:visible")
        assert page.is_hidden("#fu-toggle")
        assert "需要您先同意人脸识别" in str(page.text_content("#fu-no-face"))
        assert page.is_hidden("#fu-controls") and page.text_content("#fu-error") == ""
    with transaction(runtime.sessions, read_only=True) as db:
        assert db.get(FaceUpdateConsent, aid) is None


def test_staff_remove_updates_one_and_all_after_a_question_and_withdraw_consent(
    app: Flask, runtime: Runtime, staff: Caller
) -> None:
    aid, gate = new_attendee(runtime), new_gate(runtime)
    with transaction(runtime.sessions) as db:
        update.set_update_consent(db, aid, True, "staff:test")
    _first, *rest = [seed_update(runtime, aid, gate) for _ in range(3)]
    with live_server(app) as base, chromium() as browser:
        page = browser.new_page()
        res = page.request.post(
            f"{base}/api/auth/login", data={"username": "staff_user", "password": PASSWORD}
        )
        assert res.ok, res.text()
        page.goto(f"{base}/console/attendees/{aid}")
        page.wait_for_selector("body[data-ready='1']")
        page.wait_for_selector("#fu-table tbody tr >> nth=2")
        assert "已同意人脸更新（" in str(page.text_content("#fu-state"))
        assert "闸机 主会场 · A1" in str(page.text_content("#fu-table tbody tr"))

        page.click("#fu-table tbody tr >> nth=0 >> button")
        page.wait_for_selector("#fu-dialog[open]")
        assert "删除" in str(page.text_content("#fu-question"))
        page.click("#fu-yes")
        wait_text(page, "#fu-msg", "已删除 1 个更新模板")
        assert updates_of(runtime, aid) == rest  # the chosen one went, the others stay

        page.click("#fu-remove-all")
        page.wait_for_selector("#fu-dialog[open]")
        assert page.text_content("#fu-question") == "删除全部 2 个更新模板？"
        page.click("#fu-no")
        assert page.is_hidden("#fu-dialog") and updates_of(runtime, aid) == rest
        page.click("#fu-remove-all")
        page.click("#fu-yes")
        wait_text(page, "#fu-msg", "已删除 2 个更新模板")
        assert updates_of(runtime, aid) == [] and consents(runtime, aid)
        assert last_actor(runtime, "face_updates_removed") == f"staff:{staff.principal_id}"

        page.click("#fu-toggle:text('撤回人脸更新同意')")  # nothing left to remove: no question
        wait_text(page, "#fu-msg", "已撤回同意")
        assert not consents(runtime, aid)
        page.click("#fu-toggle:text('记录同意人脸更新')")
        wait_text(page, "#fu-msg", "已记录同意")
        assert consents(runtime, aid)
