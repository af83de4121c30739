"""The console registration page in Chromium: one person by form, a batch by file."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from core.accounts import create_user
from core.runtime import Runtime
from models import Attendee
from models.db import transaction
from tests.browser_support import chromium, live_server
from tests.factories import resident_id

pytestmark = pytest.mark.browser


def login(page, base: str) -> None:  # type: ignore[no-untyped-def]
    res = page.request.post(
        f"{base}/api/auth/login", data={"username": "desk_staff", "password": "desk password 1"}
    )
    assert res.ok, res.text()


def test_staff_registers_a_person_and_imports_a_batch_in_the_browser(
    app: Flask, runtime: Runtime, tmp_path: Path
) -> None:
    with transaction(runtime.sessions) as db:
        create_user(db, "desk_staff", "desk password 1", "staff")
    batch = tmp_path / "batch.csv"
    batch.write_text(
        "name,category,id_type,id_number\n"
        f"郑成功,delegate,cn_resident,{resident_id(501)}\n"
        "Bad Row,delegate,cn_resident,110105194912310021\n"
    )
    with live_server(app) as base, chromium() as browser:
        page = browser.new_page()
        login(page, base)
        page.goto(f"{base}/console/register")
        page.fill("input[name=name]", "黄小明")
        page.fill("input[name=id_number]", resident_id(502))
        page.fill("input[name=phone]", "+8613812345678")
        page.check("input[name=consent_face]")
        page.click("#register button[type=submit]")
        page.wait_for_selector("#register-result.ok")
        assert "黄*明" in page.text_content("#register-result")
        page.set_input_files("#import input[type=file]", str(batch))
        page.click("#import button[type=submit]")
        page.wait_for_selector("#import-result.err")
        assert "证件号校验位不正确" in page.text_content("#import-errors")  # in words, no code
    with runtime.sessions() as db:
        assert db.scalar(select(func.count(Attendee.id))) == 1  # the bad batch landed nothing


def test_the_registration_page_needs_a_staff_login(client) -> None:  # type: ignore[no-untyped-def]
    res = client.get("/console/register")
    assert res.status_code == 302 and "/login" in res.headers["Location"]
