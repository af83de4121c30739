"""Schema migrations: bring a database to the newest Alembic revision."""

from __future__ import annotations

from core.config import PROJECT_ROOT
from core.runtime import Runtime


def upgrade_database(rt: Runtime) -> None:
    """Bring the schema to the newest Alembic revision."""
    from alembic import command
    from alembic.config import Config as AlembicConfig

    cfg = AlembicConfig(str(PROJECT_ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    with rt.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
