"""Structured logs: one JSON object per line, never with unmasked personal data."""

from __future__ import annotations

import json
import logging
import re
import sys
from typing import Any

_RESERVED = set(vars(logging.makeLogRecord({})))


_SECRET_PARAMS = re.compile(
    r"(?i)\b(token|code|key|secret|password|pin|q|query|name|phone)=[^&\s\"']+"
)
_BEARER = re.compile(r"(?i)bearer\s+[\w.\-]+")
_PORTAL_PATH = re.compile(r"/p/[A-Za-z0-9\-]+")  # one-time phone links carry their code


def redact(text: str) -> str:
    """Hide tokens, one-time codes, passwords and search text that appear in URLs or headers."""
    text = _PORTAL_PATH.sub("/p/***", text)
    return _BEARER.sub("Bearer ***", _SECRET_PARAMS.sub(r"\1=***", text))


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "t": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": redact(record.getMessage()),
        }
        out.update({k: redact(str(v)) for k, v in vars(record).items() if k not in _RESERVED})
        if record.exc_info:
            out["exc"] = redact(self.formatException(record.exc_info))
        return json.dumps(out, ensure_ascii=False, default=str)


def configure_logging(level: str = "INFO") -> None:
    """Send structured logs to stderr."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
