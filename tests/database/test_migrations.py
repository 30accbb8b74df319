"""Migrations: the schema they build equals the models, on SQLite and PostgreSQL, and they go down and up."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade
from sqlalchemy import inspect

from admin.commands import migrate_to_head
from extensions import db


def _differences():
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, db.metadata)


def test_migrated_schema_matches_models(any_app):
    assert _differences() == []


def test_single_head():
    """Parallel branches must be merged before landing, so `init-db` has one head to go to."""
    import os

    from alembic.config import Config
    from alembic.script import ScriptDirectory

    folder = os.path.join(os.path.dirname(__file__), "..", "..", "migrations")
    config = Config()
    config.set_main_option("script_location", folder)
    assert len(ScriptDirectory.from_config(config).get_heads()) == 1


def test_downgrade_to_base_and_back(any_app):
    directory = any_app.extensions["migrate"].directory
    db.session.remove()
    downgrade(directory=directory, revision="base")
    assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
    migrate_to_head()
    assert _differences() == []


def test_migrating_leaves_the_app_loggers_working(app):
    """Alembic's env.py configures logging from alembic.ini; by default that disables every logger
    made before it (serve-demo and the tests migrate inside the app's process)."""
    import logging

    from services import pdf_fonts

    migrate_to_head()
    assert not logging.getLogger(pdf_fonts.__name__).disabled
