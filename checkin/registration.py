"""Registration use cases: register, update, view (masked by default), search, unmask, revoke
and restore (the last three audited)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from pypinyin import lazy_pinyin
from sqlalchemy import false, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from checkin.identity import validate_email, validate_id, validate_name, validate_phone
from checkin.journey import record_stage, timeline
from core.audit import audit
from core.clock import iso, utcnow
from core.crypto import PiiBox
from core.errors import Conflict, NotFound, ValidationError
from core.events import emit
from core.masking import mask_email, mask_id, mask_name, mask_phone
from models.attendee import CATEGORIES, ID_TYPES, Attendee
from models.face import FaceTemplate

LANGUAGES = ("zh", "en", "ko", "ja", "fr", "de", "es", "ru", "ar", "pt")


@dataclass(frozen=True)
class AttendeeData:
    """Plain values for one registration (already shape-checked by the caller)."""

    name: str
    category: str
    id_type: str
    id_number: str
    organisation: str = ""
    language: str = "zh"
    nationality: str = "CN"
    phone: str | None = None
    email: str | None = None
    consent_face: bool = False
    ref: str | None = None


@dataclass(frozen=True)
class CleanAttendee:
    name: str
    category: str
    id_type: str
    id_number: str
    organisation: str
    language: str
    nationality: str
    phone: str | None
    email: str | None
    consent_face: bool
    ref: str | None


def clean_profile(fields: dict[str, Any]) -> dict[str, Any]:
    """Check the profile fields present in `fields`; the first failing rule raises its code."""
    out: dict[str, Any] = {}
    if "name" in fields:
        out["name"] = validate_name(fields["name"] or "")  # a PATCH may send null
    if "category" in fields:
        if fields["category"] not in CATEGORIES:
            raise ValidationError(
                f"category must be one of {', '.join(CATEGORIES)}", "invalid_category"
            )
        out["category"] = fields["category"]
    if "organisation" in fields:
        organisation = " ".join((fields["organisation"] or "").split())
        if len(organisation) > 200:
            raise ValidationError("organisation: at most 200 characters", "invalid_organisation")
        out["organisation"] = organisation
    if "language" in fields:
        if fields["language"] not in LANGUAGES:
            raise ValidationError(
                f"language must be one of {', '.join(LANGUAGES)}", "invalid_language"
            )
        out["language"] = fields["language"]
    if "nationality" in fields:
        nat = (fields["nationality"] or "").strip().upper()
        if len(nat) != 2 or not nat.isalpha() or not nat.isascii():
            raise ValidationError(
                "nationality is an ISO 3166 two-letter code", "invalid_nationality"
            )
        out["nationality"] = nat
    if "phone" in fields:
        out["phone"] = validate_phone(fields["phone"]) if fields["phone"] else None
    if "email" in fields:
        out["email"] = validate_email(fields["email"]) if fields["email"] else None
    return out


def clean(data: AttendeeData) -> CleanAttendee:
    """Apply every registration rule; the first failing rule raises with its own code."""
    profile = clean_profile(
        {
            k: getattr(data, k)
            for k in (
                "name",
                "category",
                "organisation",
                "language",
                "nationality",
                "phone",
                "email",
            )
        }
    )
    if data.id_type not in ID_TYPES:
        raise ValidationError(f"id_type must be one of {', '.join(ID_TYPES)}", "invalid_id_type")
    id_number = validate_id(data.id_type, data.id_number)
    if data.ref is not None and not (
        1 <= len(data.ref) <= 32 and data.ref.replace("-", "").isalnum()
    ):
        raise ValidationError("ref: 1-32 letters, digits or '-'", "invalid_ref")
    return CleanAttendee(
        id_type=data.id_type,
        id_number=id_number,
        consent_face=data.consent_face,
        ref=data.ref,
        **profile,
    )


def pinyin_of(name: str) -> str:
    """'张小三' -> 'zhang xiao san zhangxiaosan'; Latin names are lower-cased as they are."""
    syllables = lazy_pinyin(name)
    spaced = " ".join(s.strip().lower() for s in syllables if s.strip())
    return f"{spaced} {spaced.replace(' ', '')}"


def register_attendee(session: Session, pii: PiiBox, data: AttendeeData, actor: str) -> Attendee:
    """Register one attendee; duplicate real-name IDs are refused with 409 `duplicate_id`."""
    c = clean(data)
    digest = pii.digest(f"{c.id_type}:{c.id_number}")
    _refuse_duplicate(session, c.id_type, digest, c.ref)
    now = utcnow()
    attendee = Attendee(
        ref=c.ref or _new_ref(),
        name=c.name,
        name_pinyin=pinyin_of(c.name),
        category=c.category,
        organisation=c.organisation,
        language=c.language,
        nationality=c.nationality,
        id_type=c.id_type,
        id_digest=digest,
        id_masked=mask_id(c.id_number) or "",
        id_cipher=pii.encrypt(c.id_number),
        phone=c.phone,
        email=c.email,
        consent_face=c.consent_face,
        consent_face_at=now if c.consent_face else None,
    )
    session.add(attendee)
    try:
        session.flush()
    except IntegrityError as exc:  # a concurrent registration won the race
        raise Conflict("this identity document is already registered", "duplicate_id") from exc
    record_stage(session, attendee.id, "registered", actor, at=now)
    emit(session, "attendee_registered", {"attendee": masked_view(attendee)}, ["console"])
    return attendee


def _refuse_duplicate(session: Session, id_type: str, digest: str, ref: str | None) -> None:
    if session.scalar(
        select(Attendee.id).where(Attendee.id_type == id_type, Attendee.id_digest == digest)
    ):
        raise Conflict("this identity document is already registered", "duplicate_id")
    if ref and session.scalar(select(Attendee.id).where(Attendee.ref == ref)):
        raise Conflict(f"registration number {ref} is taken", "duplicate_ref")


def _new_ref() -> str:
    return "S" + secrets.token_hex(5).upper()


UPDATABLE = ("name", "category", "organisation", "language", "nationality", "phone", "email")


def update_attendee(
    session: Session, attendee_id: int, changes: dict[str, Any], actor: str
) -> Attendee:
    """Change contact and profile fields; identity documents are re-registered, not edited."""
    attendee = get_attendee(session, attendee_id)
    unknown = set(changes) - set(UPDATABLE) - {"consent_face"}
    if unknown:
        raise ValidationError(f"cannot change {', '.join(sorted(unknown))}", "field_not_updatable")
    cleaned = clean_profile(changes)
    for field, value in cleaned.items():
        setattr(attendee, field, value)
    if "name" in cleaned:
        attendee.name_pinyin = pinyin_of(cleaned["name"])
    if "consent_face" in changes:
        if not isinstance(changes["consent_face"], bool):  # null must not withdraw consent
            raise ValidationError("consent_face must be true or false", "invalid_consent")
        set_face_consent(session, attendee, changes["consent_face"], actor)
    audit(session, actor, "attendee_updated", f"attendee:{attendee.id}", ",".join(sorted(changes)))
    return attendee


def set_face_consent(session: Session, attendee: Attendee, consent: bool, actor: str) -> None:
    """Grant or withdraw consent; withdrawing deletes every stored face template at once."""
    if consent and not attendee.consent_face:
        attendee.consent_face, attendee.consent_face_at = True, utcnow()
    elif not consent and attendee.consent_face:
        attendee.consent_face, attendee.consent_face_at = False, None
        for template in session.scalars(
            select(FaceTemplate).where(FaceTemplate.attendee_id == attendee.id)
        ):
            session.delete(template)
        emit(session, "faces_deleted", {"attendee_id": attendee.id}, ["gallery"])
    audit(session, actor, "face_consent_changed", f"attendee:{attendee.id}", str(consent))


def get_attendee(session: Session, attendee_id: int) -> Attendee:
    attendee = session.get(Attendee, attendee_id)
    if attendee is None:
        raise NotFound(f"no attendee {attendee_id}", "attendee_not_found")
    return attendee


def masked_view(a: Attendee) -> dict[str, Any]:
    """The attendee as every screen and API shows it by default."""
    return {
        "id": a.id,
        "ref": a.ref,
        "name": mask_name(a.name),
        "category": a.category,
        "organisation": a.organisation,
        "language": a.language,
        "nationality": a.nationality,
        "id_type": a.id_type,
        "id_number": a.id_masked,
        "phone": mask_phone(a.phone),
        "email": mask_email(a.email),
        "consent_face": a.consent_face,
        "consent_face_at": iso(a.consent_face_at),
        "revoked": a.revoked,
    }


def unmasked_view(
    session: Session, pii: PiiBox, attendee_id: int, actor: str, reason: str
) -> dict[str, Any]:
    """Full personal data for an admin; the reason is required and audited."""
    if len(reason.strip()) < 5:
        raise ValidationError("give a reason of at least 5 characters", "reason_required")
    a = get_attendee(session, attendee_id)
    audit(session, actor, "attendee_unmasked", f"attendee:{a.id}", reason.strip())
    view = masked_view(a)
    view.update(name=a.name, phone=a.phone, email=a.email, id_number=pii.decrypt(a.id_cipher))
    return view


def attendee_detail(session: Session, attendee_id: int) -> dict[str, Any]:
    """Masked attendee plus journey timeline."""
    a = get_attendee(session, attendee_id)
    return {**masked_view(a), "journey": timeline(session, a.id)}


def search_attendees(session: Session, query: str, limit: int = 50) -> list[dict[str, Any]]:
    """Find attendees by name, pinyin, organisation, registration number or masked ID tail."""
    q = query.strip()
    if not 1 <= len(q) <= 100:
        raise ValidationError("search text: 1-100 characters", "invalid_query")
    like = f"%{q.lower().replace('%', '').replace('_', '')}%"
    direct = or_(
        func.lower(Attendee.name).like(like),
        func.lower(Attendee.organisation).like(like),
        func.lower(Attendee.ref) == q.lower(),
        Attendee.id_masked.like(f"%{q.upper()}") if len(q) >= 4 else false(),
    )
    # Pinyin rows found by LIKE are kept only when the text starts at a syllable ("min" and
    # "zhumin" find zhu min li, "humin" does not), so they are checked here, in id order.
    stmt = (
        select(Attendee, direct.label("direct"))
        .where(or_(direct, Attendee.name_pinyin.like(like)))
        .order_by(Attendee.id)
        .execution_options(yield_per=200)
    )
    found: list[dict[str, Any]] = []
    for attendee, is_direct in session.execute(stmt):
        if is_direct or pinyin_matches(attendee.name_pinyin, q):
            found.append(masked_view(attendee))
            if len(found) >= limit:
                break
    return found


def pinyin_matches(name_pinyin: str | None, query: str) -> bool:
    """Whether `query` (spaces ignored) is the start of the name's pinyin from some syllable."""
    words = (name_pinyin or "").split()
    if len(words) > 1 and words[-1] == "".join(words[:-1]):
        words = words[:-1]  # pinyin_of's form: the syllables, then all of them joined
    wanted = "".join(query.lower().split())
    return bool(wanted) and any("".join(words[i:]).startswith(wanted) for i in range(len(words)))


def revoke_attendee(session: Session, attendee_id: int, reason: str, actor: str) -> Attendee:
    """Withdraw an attendee's access: gates, hotel kiosks, boarding and tickets refuse them.

    Their phone link and open phone sessions end too (a restore does not bring those back).
    Revoking twice changes nothing and records nothing the second time.
    """
    why = _reason(reason)
    attendee = get_attendee(session, attendee_id)
    if attendee.revoked:
        return attendee
    attendee.revoked = True
    attendee.portal_code_digest, attendee.portal_code_expires_at = None, None
    attendee.portal_session_version += 1
    audit(session, actor, "attendee_revoked", f"attendee:{attendee.id}", why)
    emit(session, "attendee_revoked", {"attendee": masked_view(attendee)}, ["console"])
    return attendee


def restore_attendee(session: Session, attendee_id: int, reason: str, actor: str) -> Attendee:
    """Give a revoked attendee their access back; restoring twice records nothing more."""
    why = _reason(reason)
    attendee = get_attendee(session, attendee_id)
    if not attendee.revoked:
        return attendee
    attendee.revoked = False
    audit(session, actor, "attendee_restored", f"attendee:{attendee.id}", why)
    emit(session, "attendee_restored", {"attendee": masked_view(attendee)}, ["console"])
    return attendee


def _reason(reason: str) -> str:
    why = " ".join(reason.split())
    if not 5 <= len(why) <= 500:
        raise ValidationError("give a reason of 5 to 500 characters", "reason_required")
    return why
