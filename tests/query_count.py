"""Counting the statements a call sends (the set-based reads' tests: a page's queries must not grow
with its sites or rows). A module, not a fixture: imported by the tests that count."""
from sqlalchemy import event

from extensions import db


def counted(call):
    """(statements sent to the database while `call()` ran, what it returned)."""
    sent = []

    def count(*_args):
        sent.append(1)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        found = call()
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return len(sent), found
