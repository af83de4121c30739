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

    Returns the `returning` column (default: the id) of the new row, or None when not inserted.
    A concurrent inserter of the same key waits for the first to commit, then inserts nothing.
    """
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = insert(model).values(**values).on_conflict_do_nothing(index_elements=unique)
    # RETURNING, not rowcount: an ORM-enabled INSERT on psycopg reports rowcount -1.
    column = returning if returning is not None else model.id
    return session.execute(stmt.returning(column)).scalar_one_or_none()
