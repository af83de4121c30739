"""Pinyin search matches from a syllable's start: "humin" does not find Zhu Minli."""

from __future__ import annotations

from checkin.registration import pinyin_matches, pinyin_of, search_attendees
from core.runtime import Runtime
from models.db import transaction
from tests.factories import make_attendee


def test_pinyin_matches_only_from_a_syllable_start() -> None:
    zhu = pinyin_of("朱敏丽")
    assert zhu == "zhu min li zhuminli"
    for query in ("zhu", "zhumin", "zhu min", "min", "minli", "li", "zhuminli", "ZhuM"):
        assert pinyin_matches(zhu, query), query
    for query in ("humin", "u min", "inli", "hu", "zhuminlix", " "):
        assert not pinyin_matches(zhu, query), query
    assert pinyin_matches(pinyin_of("John Smith"), "smith")
    assert not pinyin_matches(pinyin_of("John Smith"), "ohnsmith")


def test_search_keeps_syllable_matches_and_other_fields(runtime: Runtime) -> None:
    with transaction(runtime.sessions) as db:
        make_attendee(db, runtime.pii, name="朱敏丽", organisation="福州大学")
        make_attendee(db, runtime.pii, name="胡敏", organisation="厦门大学")
    with runtime.sessions() as db:

        def names(q: str) -> list[str]:
            return [r["name"] for r in search_attendees(db, q)]

        assert names("humin") == ["胡*"]  # hu min, not zhu-min-li
        assert names("zhumin") == ["朱*丽"]
        assert names("min") == ["朱*丽", "胡*"]
        assert names("福州") == ["朱*丽"]  # organisation still matched anywhere
        assert len(search_attendees(db, "min", limit=1)) == 1
