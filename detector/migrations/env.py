"""Alembic environment: runs on the connection that detector.store.db hands over."""

from alembic import context

from detector.errors import ConfigError
from detector.store.schema import metadata

config = context.config


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is None:  # run from the alembic CLI (developers generating revisions)
        from sqlalchemy import create_engine

        url = config.get_main_option("sqlalchemy.url")
        if url is None:
            raise ConfigError(
                "alembic: sqlalchemy.url is not set; set it in alembic.ini to migrate"
            )
        engine = create_engine(url)
        with engine.begin() as conn:
            context.configure(connection=conn, target_metadata=metadata, render_as_batch=True)
            with context.begin_transaction():
                context.run_migrations()
        return
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
