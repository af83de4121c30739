"""Every page, in Chinese and in English, on the demo summit with live data, in Chromium:

- no visible text is a raw code (`[a-z]+_[a-z_]+`) or an ISO timestamp;
- axe-core (npm, injected by Playwright) finds no WCAG 2.1 A or AA violation.

Text inside <code> (the CSV column names a file must use) is meant literally and is skipped.
"""

from __future__ import annotations

import json
import random
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from core.config import PROJECT_ROOT, Config
from core.runtime import Runtime, build_runtime, create_schema
from kiosk_ui.app import create_app
from models import Device, Gate, Trip
from models.db import transaction
from seed import DEMO_PASSWORDS, seed_summit
from tests.browser_support import chromium, live_server
from tests.console.make_screenshots import gate_traffic, land_flights, shift_to_early_afternoon

pytestmark = [pytest.mark.browser, pytest.mark.slow]

AXE = PROJECT_ROOT / "node_modules" / "axe-core" / "axe.min.js"
RAW_CODE = re.compile(r"\b[a-z]+_[a-z_]+\b")
ISO_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
VISIBLE_TEXT = """() => {
  const skip = new Set(document.querySelectorAll("code"));
  const parts = [];
  const walk = (node) => {
    if (skip.has(node)) return;
    if (node.nodeType === Node.TEXT_NODE) {
      const el = node.parentElement;
      if (el && el.checkVisibility && el.checkVisibility()) parts.push(node.textContent);
      return;
    }
    node.childNodes.forEach(walk);
  };
  walk(document.body);
  document.querySelectorAll("input:not([type=hidden]), select option:checked").forEach((el) => {
    if (!el.checkVisibility()) return;
    parts.push(el.placeholder || "", el.tagName === "OPTION" ? el.textContent : "");
  });
  return parts.join(" ");
}"""


@dataclass
class Summit:
    base: str
    browser: Any
    tokens: dict[str, str]
    gate_id: int
    driver_token: str

    def phone_code(self) -> str:
        """A new one-time phone link for attendee 1, issued by staff."""
        staff = self.browser.new_context()
        staff.request.post(
            f"{self.base}/api/auth/login",
            data={"username": "staff", "password": DEMO_PASSWORDS["staff"]},
        )
        csrf = staff.request.get(f"{self.base}/console").text().split('name="csrf" content="')[1]
        link = staff.request.post(
            f"{self.base}/api/attendees/1/portal-link", headers={"X-CSRF-Token": csrf.split('"')[0]}
        ).json()
        staff.close()
        return str(link["code"])


def _driver_token(rt: Runtime, tokens: dict[str, str]) -> str:
    with transaction(rt.sessions) as db:
        driver_id = db.scalar(select(Trip.driver_id).where(Trip.driver_id.is_not(None)).limit(1))
        name = db.scalar(select(Device.name).where(Device.driver_id == driver_id))
    return tokens[str(name)]


@pytest.fixture(scope="module")
def summit() -> Iterator[Summit]:
    if not AXE.exists():
        pytest.skip("axe-core is not installed (./dev setup runs npm install)")
    with tempfile.TemporaryDirectory() as tmp:
        rt = build_runtime(Config.for_tests(Path(tmp) / "instance"))
        create_schema(rt)
        seeded = seed_summit(rt, attendees=40)
        shift_to_early_afternoon(rt)
        rng = random.Random(8)
        land_flights(rt, rng)
        gate_traffic(rt, rng, 15)
        tokens = json.loads(Path(seeded["device_tokens"]).read_text())
        with transaction(rt.sessions) as db:
            gate_id = db.scalar(select(Gate.id).where(Gate.code == "MH-IN1"))
        app = create_app(runtime=rt)
        with live_server(app) as base, chromium() as browser:
            yield Summit(base, browser, tokens, int(gate_id or 0), _driver_token(rt, tokens))
        rt.close()


def _open(summit: Summit, lang: str, user: str | None, path: str, setup: str = "") -> Any:
    context = summit.browser.new_context(viewport={"width": 1366, "height": 768})
    context.add_init_script(f"localStorage.setItem('lang', '{lang}');" + setup)
    if user:
        context.request.post(
            f"{summit.base}/api/auth/login",
            data={"username": user, "password": DEMO_PASSWORDS[user]},
        )
    page = context.new_page()
    page.goto(summit.base + path)
    return page


def _settle(page: Any) -> None:
    if page.query_selector("body[data-page]:not([data-page=hotels])"):  # these say when ready
        page.wait_for_selector("body[data-ready='1']", timeout=15000)
    page.wait_for_load_state("load")
    page.wait_for_timeout(700)  # live data arrives over the socket


def _pages(summit: Summit) -> list[tuple[str, str | None, str, str]]:
    device = "localStorage.setItem('summit.device_token', {!r});"
    gate = device.format(summit.tokens["gate-MH-IN1"]) + (
        f"localStorage.setItem('summit.gate_id', '{summit.gate_id}');"
    )
    return [
        ("login", None, "/login", ""),
        ("console", "admin", "/console", ""),
        ("security", "security", "/console/security", ""),
        ("audit", "admin", "/console/audit", ""),
        ("devices", "admin", "/console/devices", ""),
        ("attendee", "admin", "/console/attendees/1", ""),
        ("register", "staff", "/console/register", ""),
        ("hotels", "staff", "/console/hotels", ""),
        ("rehearsal", "staff", "/rehearsal", ""),
        ("gate", None, "/gate", gate),
        ("kiosk", None, "/kiosk", gate),
        ("gate set-up", None, "/gate", ""),
        ("phone", None, f"/p/{summit.phone_code()}", ""),
        ("hotel kiosk", None, f"/hotel/kiosk#token={summit.tokens['hotel-desk-FZSL']}", ""),
        ("driver", None, f"/driver#token={summit.driver_token}", ""),
        ("face reviews", "admin", "/console/face-reviews", ""),
        ("assistant", None, f"/kiosk/assistant#token={summit.tokens['kiosk-1']}", ""),
    ]


def _summary(violation: dict[str, Any]) -> str:
    """A violation's rule, how many elements, and the first few with their colours if any."""
    nodes = []
    for node in violation["nodes"][:3]:
        data = (node.get("any") or [{}])[0].get("data") or {}
        colours = f" {data.get('fgColor')}/{data.get('bgColor')}" if "fgColor" in data else ""
        nodes.append(f"{node['target'][0]}{colours}")
    return f"{violation['id']} x{len(violation['nodes'])}: {', '.join(nodes)}"


def _check(page: Any, label: str, raw: dict[str, list[str]], bad: dict[str, list[str]]) -> None:
    text = page.evaluate(VISIBLE_TEXT)
    found = RAW_CODE.findall(text) + ISO_TIME.findall(text)
    if found:
        raw[label] = sorted(set(found))
    if not page.evaluate("typeof axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG
    )
    if result["violations"]:
        bad[label] = [_summary(v) for v in result["violations"]]


def test_every_page_speaks_words_not_codes_and_passes_axe_in_both_languages(
    summit: Summit,
) -> None:
    """Each page opens in Chinese, is checked, switches to English in place, is checked again."""
    raw: dict[str, list[str]] = {}
    violations: dict[str, list[str]] = {}
    for name, user, path, setup in _pages(summit):
        page = _open(summit, "zh", user, path, setup)
        _settle(page)
        if name == "phone":
            page.click("#login button[type=submit]")
            page.wait_for_selector("#qr[src^='data:image/png']")
        _check(page, f"{name} zh", raw, violations)
        if page.query_selector("#lang"):
            page.click("#lang")
            page.wait_for_function("() => document.documentElement.lang === 'en'")  # no eval()
            page.wait_for_timeout(200)
            _check(page, f"{name} en", raw, violations)
        else:
            raw[f"{name} en"] = ["no language switch"]
        page.context.close()
    print(json.dumps({"raw": raw, "axe": violations}, ensure_ascii=False, indent=1))
    assert (raw, violations) == ({}, {})


def test_console_and_registration_fit_a_phone_screen(summit: Summit) -> None:
    """At 390 px nothing overflows sideways and each nav link stays on one line."""
    too_wide = {}
    for name, user, path in (
        ("console", "admin", "/console"),
        ("register", "staff", "/console/register"),
    ):
        context = summit.browser.new_context(viewport={"width": 390, "height": 844})
        context.request.post(
            f"{summit.base}/api/auth/login",
            data={"username": user, "password": DEMO_PASSWORDS[user]},
        )
        page = context.new_page()
        page.goto(summit.base + path)
        page.wait_for_load_state("load")
        page.wait_for_timeout(500)
        width = page.evaluate("document.documentElement.scrollWidth")
        tall_links = page.eval_on_selector_all(
            "header nav a",
            "as => as.filter(a => a.getBoundingClientRect().height"
            " > 2 * parseFloat(getComputedStyle(a).fontSize)).length",
        )
        if width > 390 or tall_links:
            too_wide[name] = (width, tall_links)
        context.close()
    assert too_wide == {}
