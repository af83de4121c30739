"""Errors of the speech package; every engine or audio failure leaves as one of these.

RecognitionError (core.errors)
 +-- SpeechError            422  this audio cannot be used (codes: empty_audio, not_wav, ...)
 +-- SpeechUnavailable      503  no engine or model for the language (speech_model_missing)
"""

from __future__ import annotations

from core.errors import RecognitionError


class SpeechError(RecognitionError):
    """The audio or the recogniser failed on this input."""

    status = 422


class SpeechUnavailable(RecognitionError):
    """No recogniser is installed for the requested language."""

    status = 503
