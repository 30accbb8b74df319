"""The app as tests/reliability/test_load_faults.py serves it under gunicorn (not a test module).

    LOAD_DATABASE_URL=... gunicorn --preload -w 2 tests.reliability.load_server:app

Test settings (CSRF and rate limits off so the staff clients can post forms), TESTING off
so errors behave as in production, no monthly cap so awards keep posting for the whole run."""
import os

from app import create_app
from config import TestConfig
from extensions import db

_values = {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}
_values.update(SQLALCHEMY_DATABASE_URI=os.environ["LOAD_DATABASE_URL"], TESTING=False, MONTHLY_CAP=0)
app = create_app(_values)
with app.app_context():
    db.engine.dispose()  # served with --preload: no connection may cross the fork
