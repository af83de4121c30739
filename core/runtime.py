"""The one place that wires real adapters together (cosmicpython's bootstrap).

`build_runtime(config)` makes the engine, session factory and key boxes. Packages attach their
own long-lived adapters (face gallery, speech engines) under `runtime.extensions` lazily, so
the web app, the CLI and tests all share one wiring.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from core.config import Config
from core.crypto import KeyRing, PiiBox
from models.db import make_engine, make_session_factory


@dataclass
class Runtime:
    config: Config
    engine: Engine
    sessions: sessionmaker[Session]
    templates: KeyRing
    pii: PiiBox
    signing_key: Ed25519PrivateKey
    extensions: dict[str, Any] = field(default_factory=dict)

    def close(self) -> None:
        for ext in self.extensions.values():
            closer = getattr(ext, "close", None)
            if callable(closer):
                closer()
        self.engine.dispose()


def build_runtime(config: Config) -> Runtime:
    """Create the engine, sessions and key material for a configuration."""
    engine = make_engine(config.database_url)
    return Runtime(
        config=config,
        engine=engine,
        sessions=make_session_factory(engine),
        templates=KeyRing(config.template_keys),
        pii=PiiBox(config.pii_key),
        signing_key=Ed25519PrivateKey.from_private_bytes(base64.b64decode(config.signing_key)),
    )


def create_schema(runtime: Runtime) -> None:
    """Create all tables directly from the models (tests; `init-db` uses Alembic)."""
    from models import Base

    Base.metadata.create_all(runtime.engine)
