"""Entrance codes: signed, short-lived, verifiable with the public key alone."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from checkin.codes import PREFIX, issue_code, public_key_b64, read_code, verify_code
from checkin.errors import CheckInError
from core.clock import utcnow
from core.runtime import Runtime


def refusal(source: object, code: str, **kw: object) -> str:
    with pytest.raises(CheckInError) as info:
        verify_code(source, code, **kw)  # type: ignore[arg-type]
    return info.value.code


def test_a_fresh_code_names_its_attendee_with_the_public_key_alone(runtime: Runtime) -> None:
    code = issue_code(runtime, 42)
    assert verify_code(public_key_b64(runtime), code) == 42
    entrance = read_code(runtime, code)
    assert entrance.expires - entrance.issued == timedelta(seconds=60)
    assert len(entrance.nonce) == 16 and len(code) < 130


def test_two_codes_for_the_same_person_differ(runtime: Runtime) -> None:
    assert (
        read_code(runtime, issue_code(runtime, 1)).nonce
        != read_code(runtime, issue_code(runtime, 1)).nonce
    )


def test_an_expired_code_is_refused(runtime: Runtime) -> None:
    code = issue_code(runtime, 7, now=utcnow() - timedelta(seconds=61))
    assert refusal(runtime, code) == "code_expired"


def test_a_code_from_the_future_is_refused(runtime: Runtime) -> None:
    code = issue_code(runtime, 7, now=utcnow() + timedelta(minutes=5))
    assert refusal(runtime, code) == "code_not_yet_valid"


def test_a_code_signed_by_another_key_is_forged(runtime: Runtime) -> None:
    assert refusal(runtime, issue_code(Ed25519PrivateKey.generate(), 7)) == "code_forged"


def test_changing_the_attendee_inside_a_code_breaks_its_signature(runtime: Runtime) -> None:
    code = issue_code(runtime, 7)
    raw = bytearray(base64.urlsafe_b64decode(code[len(PREFIX) :] + "=" * (-len(code) % 4)))
    raw[4] ^= 0x01  # the attendee id's low byte: 7 -> 6
    tampered = PREFIX + base64.urlsafe_b64encode(bytes(raw)).decode().rstrip("=")
    assert refusal(runtime, tampered) == "code_forged"


@pytest.mark.parametrize(
    "text",
    ["", "hello", "SC1.", "SC1.!!!!", "SC1." + "A" * 40, "SC2." + "A" * 114, "SC1." + "A" * 300],
)
def test_text_that_is_not_a_code_is_malformed(runtime: Runtime, text: str) -> None:
    assert refusal(runtime, text) == "code_malformed"


def test_a_bad_public_key_is_reported(runtime: Runtime) -> None:
    assert refusal(base64.b64encode(b"short").decode(), issue_code(runtime, 1)) == "bad_public_key"
