"""Alembic environment: runs on the connection handed over by `xingqu.store.migrate`."""

from alembic import context

from xingqu.store.base import load_all_models

target_metadata = load_all_models()
connection = context.config.attributes.get("connection")
if connection is None:  # `alembic` CLI: use the URL from settings
    from xingqu.config import Settings
    from xingqu.store.engine import make_engine

    engine = make_engine(Settings().resolved_database_url)
    connection = engine.connect()

context.configure(
    connection=connection,
    target_metadata=target_metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
