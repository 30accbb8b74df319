"""Stored runs computed outside the request (the 账本校验 and 异常核查 pages): a thread reads on a
snapshot, then stores the result, or the error so the page shows that the run failed."""
import logging
import threading
from typing import Any, Callable, Optional

from extensions import db
from services.database import READ, WRITE, expect

log = logging.getLogger(__name__)


def start_run(app, name: str, run_id: int, compute: Callable[[int], Any],
              finish: Callable[[int, Any, Optional[str]], None]) -> threading.Thread:
    """compute(run_id) on a read snapshot (SQLite: a WAL snapshot, so the kiosks keep writing), then
    finish(run_id, result, None) in a write transaction; on any failure finish(run_id, None, error).
    Returns the thread (tests wait for it)."""
    thread = threading.Thread(target=_run, args=(app, name, run_id, compute, finish), name=f"{name}-{run_id}",
                              daemon=True)
    thread.start()
    return thread


def _run(app, name, run_id, compute, finish) -> None:
    with app.app_context():
        try:
            expect(READ)
            result = compute(run_id)
            db.session.rollback()
            expect(WRITE)
            finish(run_id, result, None)
            db.session.commit()
        except Exception as exc:  # noqa: BLE001 - the page must show that the run failed
            log.exception("%s run %s failed", name, run_id)
            db.session.rollback()
            expect(WRITE)
            finish(run_id, None, str(exc))
            db.session.commit()
        finally:
            db.session.remove()
