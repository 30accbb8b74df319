"""The automatic seal: once a day, on the first request after local midnight (docs/decisions.md#ledger-seals).

The per-request check is one float comparison; the seal itself runs in a background thread, so no
request waits for it. A cron line (README) does the same for a site with no requests at night."""
import logging
import threading
import time
from datetime import datetime, timedelta

from extensions import db
from models.clock import local_today, local_zone, to_local
from services.ledger.seals import latest_seal, make_seal

log = logging.getLogger(__name__)
_lock = threading.Lock()
#: time.time() of the next local midnight; before it, requests do nothing
_next_check = 0.0


def on_request(app) -> threading.Thread | None:
    """Called before every request: after local midnight, start sealing in the background (once per
    process per day). Returns the thread (tests wait for it)."""
    global _next_check
    if time.time() < _next_check:
        return None
    with _lock:
        if time.time() < _next_check:
            return None
        today = local_today()
        midnight = datetime.combine(today + timedelta(days=1), datetime.min.time(), tzinfo=local_zone())
        _next_check = midnight.timestamp()
    thread = threading.Thread(target=_seal_if_due, args=(app, today), name="daily-seal", daemon=True)
    thread.start()
    return thread


def _seal_if_due(app, today) -> None:
    with app.app_context():
        try:
            last = latest_seal()
            if last is None or to_local(last.created_at).date() < today:  # another process may have sealed
                code = make_seal().code
                db.session.commit()
                log.info("daily ledger seal %s", code)
        except Exception:  # noqa: BLE001 - a failed seal must not break requests; the log says why
            log.exception("daily ledger seal failed")
            db.session.rollback()
        finally:
            db.session.remove()
