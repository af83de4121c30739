"""INSERT ... ON CONFLICT DO NOTHING for SQLite and PostgreSQL: the primitive behind idempotency."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import InstrumentedAttribute, Session


def insert_ignore(
    session: Session,
    model: type[Any],
    values: dict[str, Any],
    unique: list[str],
    returning: InstrumentedAttribute[Any] | None = None,
) -> Any:
    """Insert a row unless one with the same unique key exists.

    Returns the `returning` column of the new row (or True) when inserted, None when not.
    A concurrent inserter of the same key waits for the first to commit, then inserts nothing.
    """
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = insert(model).values(**values).on_conflict_do_nothing(index_elements=unique)
    if returning is None:
        return True if session.execute(stmt).rowcount == 1 else None
    return session.execute(stmt.returning(returning)).scalar_one_or_none()
