"""Spoken questions: audio -> transcript -> intent -> answer, for uploads and live streams.

`identify_asker` says who is asking: the kiosk or staff member and, only when the kiosk shows an
identification ticket it was issued itself (`checkin.identification`), the attendee the ticket
names. A device never names an attendee by id. `answer_audio` serves one uploaded utterance;
`LiveQuery` serves a microphone stream (partial transcripts while the person speaks, an answer
once the endpointer hears them stop). Both end in `answer_transcript`, the one place that turns
words into an answer. A help request also tells the staff console (event
`assistant_help_requested`, masked name only), and so does a kiosk that could not make out a
question in a loud hall (`assistant_loud_hall`, at most once per kiosk in LOUD_HALL_EVERY), so
staff can send someone or move the kiosk somewhere quieter.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from checkin import identification
from checkin.assistant import Answer, build_answer, known_attendee, summit_words, text
from core.accounts import Principal
from core.clock import utcnow
from core.errors import Forbidden, ValidationError
from core.events import emit
from core.masking import mask_name
from core.runtime import Runtime
from models.db import transaction
from models.events import DomainEvent
from recognition.speech import moonshine
from recognition.speech.audio import (
    LOUD_DB,
    MAX_SECONDS,
    RATE,
    Endpointer,
    Pcm,
    require_speech,
    speech_over_noise,
)
from recognition.speech.catalogue import SummitWords, load_catalogue
from recognition.speech.engines import Transcript, transcribe_whole
from recognition.speech.errors import SpeechError
from recognition.speech.intents import Intent
from recognition.speech.registry import SpeechEngines, engines_of
from recognition.speech.understand import (
    Hearing,
    Understanding,
    chosen,
    understand,
    understand_heard,
)
from recognition.workers import speech_pool_of

# Engines whose transcript confidence is a word confidence (0..1) that scales the intent's.
WORD_CONFIDENCE = ("vosk", "pocketsphinx-lm", "pocketsphinx-corpus", "moonshine-tiny")
# Moonshine's share of the decision when it and PocketSphinx heard the same question (their
# label probabilities and word confidences averaged), chosen on the tuning split
# (benchmarks/speech_tune.py route; docs/speech.md "Two recognisers").
MOONSHINE_SHARE = 0.3
# Tickets a delegate may ask personal questions with; not single-use, so one identification
# serves several questions while the ticket lasts (TICKET_SECONDS).
ASKING_PURPOSES = ("assistant", "journey", "gate")


@dataclass(frozen=True)
class Asker:
    """Who is asking: the kiosk or staff member, and the attendee a ticket identified."""

    actor: str
    language: str
    attendee_id: int | None = None
    kiosk_room: str | None = None
    kiosk_name: str = ""  # the device's name, as staff registered it (consoles show it)


def identify_asker(rt: Runtime, principal: Principal, language: str, ticket: str | None) -> Asker:
    """The asker; personal answers only for the attendee a ticket of this very device names.

    Kiosks get their own room so a help request reaches that kiosk too.
    """
    room = f"kiosk:{principal.id}" if principal.kind == "device" else None
    name = principal.name if room else ""
    if ticket is None:
        return Asker(principal.actor, language, None, room, name)
    if principal.kind != "device":  # tickets are issued to devices; a staff id is not one
        raise Forbidden("this ticket was issued to another device", "ticket_other_device")
    found = identification.read_ticket(rt, ticket, principal.id, ASKING_PURPOSES)
    return Asker(principal.actor, language, found.attendee_id, room, name)


def answer_transcript(
    db: Session,
    transcript: Transcript,
    asker: Asker,
    words: SummitWords,
    now: datetime,
    audio: bytes = b"",
) -> dict[str, Any]:
    """Understand a transcript and answer it, or ask the delegate to confirm; `audio` (the
    utterance's PCM) tells how loud the hall was."""
    found = understand_heard(hearings(transcript), asker.language, words)
    said = found.text or transcript.text
    engine = "+".join(t.engine for t in (transcript, *transcript.also))
    return respond(db, found, asker, now, said, engine, hall_of(audio))


def hearings(transcript: Transcript) -> list[Hearing]:
    """What each recogniser heard, for the rule: its words, word confidence, n-best list (the
    rule pools the hypotheses, as speech_bench.py measures it) and share (MOONSHINE_SHARE)."""
    out = []
    for t in (transcript, *transcript.also):
        sure = t.confidence if t.engine in WORD_CONFIDENCE else 1.0
        share = MOONSHINE_SHARE if t.engine == moonshine.NAME else 1.0 - MOONSHINE_SHARE
        out.append(Hearing(t.text, sure, t.alternatives, share))
    return out


def hall_of(audio: bytes) -> dict[str, Any] | None:
    """How far the asker's speech stood above the hall's noise, and whether that is loud (None
    when there is too little audio to tell)."""
    level = speech_over_noise(audio)
    if level is None:
        return None
    return {"speech_over_noise_db": round(level, 1), "loud": level < LOUD_DB}


def answer_text(db: Session, question: str, asker: Asker, now: datetime) -> dict[str, Any]:
    """A typed question in any language (no speech model needed)."""
    words = summit_words(db, now)
    found = understand(question, asker.language, words)
    return respond(db, found, asker, now, question, "typed")


def answer_chosen(
    db: Session, intent: str, slots: dict[str, Any], asker: Asker, now: datetime
) -> dict[str, Any]:
    """A common question or "Did you mean" button the delegate tapped: answered directly."""
    try:
        chosen_intent = chosen(intent, slots, asker.language, summit_words(db, now))
    except ValueError as exc:
        raise ValidationError(str(exc), "validation_error") from exc
    found = Understanding(chosen_intent, 1.0, True, ())
    return respond(db, found, asker, now, "", "tap")


def question_label(intent: Intent, language: str) -> str:
    """The question a button shows for an intent ("Where is my hotel?")."""
    questions = load_catalogue()["questions"]
    if intent.name == "directions" and not intent.slots.get("place_name"):
        texts = questions["directions_any"]
    else:
        texts = questions[intent.name]
    template: str = texts.get(language) or texts["en"]
    return template.format(
        place=intent.slots.get("place_name", ""), session=intent.slots.get("session", "")
    )


def respond(
    db: Session,
    found: Understanding,
    asker: Asker,
    now: datetime,
    heard: str,
    engine: str,
    hall: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The JSON answer shared by audio, typed and tapped questions; `hall` for spoken ones.

    When a spoken question is not answered in a loud hall, the kiosk says so (the true reason)
    and points to tapping or typing instead of only asking again; when no recogniser heard any
    word in a room that is not loud (a tap of the button, a soft voice), it says it heard no
    question rather than that the question was not about the summit."""
    language = asker.language
    loud = bool(hall and hall["loud"])
    if found.answered:
        answer = build_answer(db, found.intent, language, asker.attendee_id, now)
        if found.intent.name == "help":
            _call_staff(db, asker)
    else:
        if found.candidates:
            key = "confirm"
        elif engine not in ("typed", "tap") and not loud and not heard.strip():
            key = "not_heard"  # spoken, and no recogniser heard a word
        else:
            key = "off_topic"
        said = text(f"{key}_loud" if loud else key, language)
        answer = Answer(said, said, offer_help=True)
        if hall and loud:
            _tell_loud_hall(db, asker, hall)
    spec = load_catalogue()["intents"].get(found.intent.name, {})
    return {
        "transcript": heard,
        "language": language,
        "intent": found.intent.name,
        "slots": found.intent.slots,
        "answered": found.answered,
        "confidence": round(found.confidence, 3),
        "candidates": [
            {
                "intent": c.name,
                "slots": c.slots,
                "confidence": round(c.score, 3),
                "question": question_label(c, language),
            }
            for c in found.candidates
        ],
        "needs_identification": bool(
            found.answered
            and spec.get("personal")
            and answer.text == text("identify_first", language)
        ),
        "answer": answer.to_dict(),
        "engine": engine,
        "hall": hall,
    }


def request_help(db: Session, asker: Asker, now: datetime) -> dict[str, Any]:
    """The kiosk's help button: tell the console, answer like a spoken help request."""
    _call_staff(db, asker)
    answer = build_answer(db, Intent("help"), asker.language, asker.attendee_id, now)
    return {
        "transcript": "",
        "language": asker.language,
        "intent": "help",
        "slots": {},
        "answer": answer.to_dict(),
        "confidence": 1.0,
        "engine": "button",
    }


LOUD_HALL_EVERY = timedelta(minutes=10)


def _tell_loud_hall(db: Session, asker: Asker, hall: dict[str, Any]) -> None:
    """Tell the console that a kiosk could not make out a question in a loud hall, unless it
    already did in the last LOUD_HALL_EVERY (a crowd stays loud for a while)."""
    if asker.kiosk_room is None:  # a staff member's own device: they are there already
        return
    recent = db.scalars(
        select(DomainEvent.payload).where(
            DomainEvent.name == "assistant_loud_hall",
            DomainEvent.created_at >= utcnow() - LOUD_HALL_EVERY,
        )
    )
    if any(json.loads(p).get("by") == asker.actor for p in recent):
        return
    payload = {
        "by": asker.actor,
        "name": asker.kiosk_name,
        "speech_over_noise_db": hall["speech_over_noise_db"],
    }
    emit(db, "assistant_loud_hall", payload, ["console"])


def _call_staff(db: Session, asker: Asker) -> None:
    attendee = known_attendee(db, asker.attendee_id)
    payload = {"by": asker.actor, "attendee": mask_name(attendee.name) if attendee else None}
    rooms = ["console"] + ([asker.kiosk_room] if asker.kiosk_room else [])
    emit(db, "assistant_help_requested", payload, rooms)


def answer_audio(rt: Runtime, pcm: Pcm, asker: Asker, now: datetime) -> dict[str, Any]:
    """Answer one uploaded spoken question; no database connection is held while decoding.

    The summit's words are read in a short read-only transaction, the audio is decoded (in the
    recognition pool when the server has one, else in this thread) and the answer is built in
    a second transaction.
    """
    engines = engines_of(rt)
    if asker.language not in engines.spoken_languages():
        engines.engine(asker.language)  # raises the true reason (no model for this language)
    with transaction(rt.sessions, read_only=True) as db:
        words = summit_words(db, now)
    pool = speech_pool_of(rt)
    if pool is not None:
        heard = pool.transcribe(rt.config.instance_path, asker.language, words, pcm, asker.actor)
    else:
        stream = engines.engine(asker.language).open_stream(words, asker.actor)
        heard = transcribe_whole(stream, pcm.data)
    with transaction(rt.sessions) as db:
        return answer_transcript(db, heard, asker, words, now, pcm.data)


class LiveQuery:
    """One microphone utterance streamed from a kiosk: partials, endpoint, then the answer."""

    def __init__(self, db: Session, engines: SpeechEngines, asker: Asker, now: datetime) -> None:
        self.asker = asker
        self.words = summit_words(db, now)
        self.stream = engines.engine(asker.language).open_stream(self.words, asker.actor)
        self.endpointer = Endpointer()
        self.audio = bytearray()

    def feed(self, pcm: bytes) -> tuple[str, bool]:
        """Add microphone PCM; returns the partial transcript and whether speech has ended."""
        if len(pcm) % 2:
            raise SpeechError("audio chunks must be whole 16-bit samples", "bad_pcm")
        if len(self.audio) + len(pcm) > MAX_SECONDS * RATE * 2:
            raise SpeechError("the question is longer than 30 s", "audio_too_long")
        self.audio += pcm
        partial = self.stream.accept(pcm)
        return partial, self.endpointer.feed(pcm)

    def finish(self, db: Session, now: datetime) -> dict[str, Any]:
        """End the utterance and answer it."""
        if not self.audio:
            raise SpeechError("no audio was received", "empty_audio")
        transcript = self.stream.finish()
        require_speech(Pcm(bytes(self.audio)))
        return answer_transcript(db, transcript, self.asker, self.words, now, bytes(self.audio))
