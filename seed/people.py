"""Demo attendees: Chinese and international names, valid IDs, phones, categories, consent."""

from __future__ import annotations

import random
from datetime import date, timedelta

from sqlalchemy.orm import Session

from checkin.identity import resident_id_check_digit
from checkin.registration import AttendeeData, register_attendee
from core.crypto import PiiBox
from models.attendee import Attendee

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯"
    "邓曹彭曾肖田董潘袁蔡蒋余于杜叶程魏苏吕丁任沈姚卢傅钟"
)
GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国志"
    "文斌宇浩然欣怡子涵思远晨阳雨婷海峰嘉琪俊杰晓东丹凯"
)
FIRST = [
    "James",
    "Maria",
    "Anna",
    "David",
    "Sophie",
    "Lukas",
    "Emma",
    "Carlos",
    "Aisha",
    "Hiroshi",
    "Min-jun",
    "Olga",
    "Pierre",
    "Fatima",
    "John",
    "Elena",
    "Ahmed",
    "Chloe",
    "Rahul",
    "Ingrid",
    "Mateo",
    "Yuki",
    "Seo-yeon",
    "Kwame",
    "Lucia",
    "Noah",
    "Amara",
    "Felix",
    "Priya",
    "Omar",
]
LAST = [
    "Smith",
    "Garcia",
    "Müller",
    "Rossi",
    "Dubois",
    "Tanaka",
    "Kim",
    "Ivanova",
    "Silva",
    "Khan",
    "Nguyen",
    "Johnson",
    "Schmidt",
    "Martin",
    "Lee",
    "Park",
    "Sato",
    "O'Brien",
    "Novak",
    "Haddad",
    "Andersen",
    "Costa",
    "Okafor",
    "Moreau",
    "Fischer",
    "Suzuki",
    "Choi",
    "Petrov",
    "Lopez",
    "Cohen",
]
COUNTRIES = [
    ("US", "+1", "en"),
    ("DE", "+49", "de"),
    ("FR", "+33", "fr"),
    ("JP", "+81", "ja"),
    ("KR", "+82", "ko"),
    ("GB", "+44", "en"),
    ("BR", "+55", "pt"),
    ("RU", "+7", "ru"),
    ("AE", "+971", "ar"),
    ("ES", "+34", "es"),
    ("SG", "+65", "en"),
    ("NG", "+234", "en"),
]
ORGS_ZH = [
    "福建省数字办",
    "福州市大数据委",
    "中国电信福建公司",
    "新大陆科技",
    "网龙网络",
    "福耀集团",
    "宁德时代",
    "厦门大学",
    "福州大学",
    "中国移动",
    "华为技术",
    "腾讯云",
    "阿里云",
    "新华社",
    "人民日报",
]
ORGS_EN = [
    "Digital Futures Lab",
    "Global Cloud Inc.",
    "Euro Smart Cities",
    "Reuters",
    "BBC News",
    "Siemens",
    "Samsung SDS",
    "NEC",
    "UN ITU",
    "World Bank",
    "SAP",
    "Nokia",
]
CATEGORY_WEIGHTS = [
    ("delegate", 60),
    ("vip", 3),
    ("speaker", 5),
    ("media", 8),
    ("exhibitor", 12),
    ("staff", 7),
    ("visitor", 5),
]
FUZHOU_AREAS = [
    "350102",
    "350103",
    "350104",
    "350105",
    "350111",
    "350121",
    "350181",
    "110105",
    "310115",
    "440305",
]


def _category(rng: random.Random) -> str:
    names, weights = zip(*CATEGORY_WEIGHTS, strict=True)
    return str(rng.choices(names, weights)[0])


def _resident_id(rng: random.Random, serial: int) -> str:
    born = date(1960, 1, 1) + timedelta(days=rng.randrange(0, 365 * 42))
    first17 = f"{rng.choice(FUZHOU_AREAS)}{born:%Y%m%d}{serial % 1000:03d}"
    return first17 + resident_id_check_digit(first17)


def _chinese(rng: random.Random, serial: int) -> AttendeeData:
    name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))
    return AttendeeData(
        name=name,
        category=_category(rng),
        id_type="cn_resident",
        id_number=_resident_id(rng, serial),
        organisation=rng.choice(ORGS_ZH),
        language="zh",
        nationality="CN",
        phone=f"+86{rng.choice(['138', '139', '150', '186', '177'])}{rng.randrange(10**8):08d}",
        email=f"user{serial}@example.cn",
        consent_face=rng.random() < 0.85,
        ref=f"DCS{serial:05d}",
    )


def _international(rng: random.Random, serial: int) -> AttendeeData:
    country, code, lang = rng.choice(COUNTRIES)
    return AttendeeData(
        name=f"{rng.choice(FIRST)} {rng.choice(LAST)}",
        category=_category(rng),
        id_type="passport",
        id_number=f"{chr(65 + serial % 26)}{serial:07d}{rng.randrange(10)}",
        organisation=rng.choice(ORGS_EN),
        language=lang,
        nationality=country,
        phone=f"{code}{rng.randrange(10**8, 10**9)}",
        email=f"guest{serial}@example.org",
        consent_face=rng.random() < 0.75,
        ref=f"DCS{serial:05d}",
    )


def seed_people(session: Session, pii: PiiBox, rng: random.Random, count: int) -> list[Attendee]:
    """Register `count` attendees (about 80% Chinese, 20% international) through the service."""
    people = []
    for serial in range(1, count + 1):
        data = _chinese(rng, serial) if rng.random() < 0.8 else _international(rng, serial)
        people.append(register_attendee(session, pii, data, "seed"))
    return people
