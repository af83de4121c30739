"""Errors of the face package: every refusal has a stable code (no_face, blurry, ...)."""

from __future__ import annotations

from core.errors import RecognitionError


class FaceError(RecognitionError):
    """A face image or template request that cannot be served (422 unless said otherwise)."""

    status = 422


class FaceEngineError(RecognitionError):
    """dlib failed on input it should have handled; translated at the boundary."""

    status = 503
