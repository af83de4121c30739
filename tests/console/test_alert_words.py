"""Alerts from hotels and offline gates carry structured params, so the console words them in
the viewer's language (Chromium): no stored English message on the Chinese screen, no raw code,
no ISO time in either language."""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import expect
from sqlalchemy import select

from checkin.service import Decision
from checkin.sync import _alert_refused_grant, _alert_refused_items
from core.accounts import create_device, create_user
from core.runtime import Runtime
from models import Alert
from models.auth import Device
from models.db import transaction
from models.venue import Gate
from tests.browser_support import chromium, live_server
from tests.factories import make_attendee, make_gate, make_zone
from tests.transport.helpers import make_hotel
from transport.notices import alert_unplanned
from transport.planner import Request

pytestmark = pytest.mark.browser

PASSWORD = "console password 1"
RAW = re.compile(r"\b[a-z]+_[a-z_]+\b|\d{4}-\d{2}-\d{2}T\d{2}")


def _raise_alerts(db: Any, pii: Any) -> list[str]:
    from hotel.shortage import note_shortage

    create_user(db, "desk", PASSWORD, "admin")
    hotel = make_hotel(db, "WV")
    hotel.name_zh, hotel.name_en = "威斯汀酒店", "The Westin"
    note_shortage(db, "WV", "2026-12-07", 3)
    gate = make_gate(db, make_zone(db))
    device, _token = create_device(db, "gate-north", "gate", "test", gate_id=gate.id)
    person = make_attendee(db, pii, name="李小龙")
    _alert_refused_items(db, gate, device, Counter(unsigned=2, sequence_replayed=1))
    at = datetime(2026, 12, 7, 1, 30)  # 09:30 in Fuzhou
    decision = Decision(0, gate.id, gate.zone_id, True, "checked_in",
                        {"id": person.id, "name": "李*龙"}, None, at, "code")  # fmt: skip
    _alert_refused_grant(db, gate, decision, "watchlist_hit")
    late = datetime(2026, 12, 7, 2, 0)  # 10:00-10:50 in Fuzhou
    alert_unplanned(db, [Request(1, person.id, "pickup", "FOC", "FOC", hotel.id, 40, late,
                                 late + timedelta(minutes=50))], "pickup")  # fmt: skip
    return [a.message for a in db.scalars(select(Alert))]


def test_alerts_from_hotels_and_offline_gates_are_worded_in_the_viewers_language(
    app: Flask, runtime: Runtime
) -> None:
    with transaction(runtime.sessions) as db:
        messages = _raise_alerts(db, runtime.pii)
        assert db.scalar(select(Device.name)) == "gate-north" and db.scalar(select(Gate.code))
    assert len(messages) == 5
    with live_server(app) as base, chromium() as browser:
        page = browser.new_page(viewport={"width": 1366, "height": 768})
        assert page.request.post(
            f"{base}/api/auth/login", data={"username": "desk", "password": PASSWORD}
        ).ok
        page.goto(f"{base}/console")
        alerts = page.locator("#alerts li")
        expect(alerts).to_have_count(5, timeout=15000)
        zh = str(page.text_content("#alerts"))
        for text in ("威斯汀酒店：2026-12-07 晚房间不足", "gate-north", "2 条签名无效",
                     "李*龙", "09:30", "关注名单",
                     "长乐机场 12/07 10:00–12/07 10:50 暂无空闲接机/接站车辆"):  # fmt: skip
            assert text in zh, text
        page.click("#lang")
        expect(page.locator("#alerts")).to_contain_text("The Westin: rooms short")
        en = str(page.text_content("#alerts"))
        assert "2 offline decision(s) without a valid signature" in en and "09:30" in en
        assert "no vehicle free for the Pickup at Changle Airport" in en
    for shown in (zh, en):
        assert not RAW.findall(shown), RAW.findall(shown)
    assert not any(m in zh for m in messages)  # the stored English is the last resort only
    assert "威斯汀" not in en
