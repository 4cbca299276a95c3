"""Alembic environment: runs on the connection `Database.upgrade` hands over, or on the URL."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from scheduler.db import create_db_engine
from scheduler.models import Base

config = context.config


def run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=True,  # SQLite alters tables by copying them
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


handed_over = config.attributes.get("connection")
if handed_over is not None:
    run(handed_over)
else:
    engine = create_db_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as connection:
        run(connection)
    engine.dispose()
