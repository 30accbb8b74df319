"""The kiosk's two busiest requests, the scan and the redemption, served in front of Flask.

A WSGI layer around the app (installed by create_app): `POST /kiosk/api/scan` and `/kiosk/api/redeem`
with a well-formed JSON body go straight to the views' answer functions (kiosk/api.py scan_answer,
redeem_answer) inside an app context, without Flask's request machinery: no Request object, URL
matching, cookie session, before/after-request hooks or Response object, which were most of a
kiosk request's Python CPU (docs/performance.md#kiosk-hot-path). The answer is the same, byte for
byte and header for header (tests/supermarket/test_hot_path.py compares them): the headers the app's
after-request hooks add (Talisman's) are taken once per worker from a real response; the JSON is the
app's own encoder's.
Everything else, and every request whose body this layer would have to judge differently from Flask
(no JSON content type, no length, too long, not JSON orjson reads the same way as the standard
library: a parse error, a float or an integer beyond 64 bits), goes to Flask unchanged, so every
error answer of the API stays the view's."""
import io
import sys
from contextlib import nullcontext

import orjson
from flask import current_app, g, has_app_context
from werkzeug.http import HTTP_STATUS_CODES

from extensions import db
from services import database
from services.errors import HTTP_ERROR_MESSAGES, DomainError

#: a kiosk's scan or redemption body is a few hundred bytes; a longer one goes to Flask
MAX_BODY = 64 * 1024
_JSON_TYPE = "application/json"


class KioskHotPath:
    """WSGI middleware: the hot kiosk routes answered directly, the rest by `flask_wsgi` (Flask's
    own wsgi_app)."""

    def __init__(self, app, flask_wsgi):
        from kiosk.api import redeem_answer, scan_answer

        self.app = app
        self.flask_wsgi = flask_wsgi
        self.routes = {"/kiosk/api/scan": (scan_answer, database.LOSABLE_WRITE),
                       "/kiosk/api/redeem": (redeem_answer, database.READ)}
        self._headers = {}  # (path, secure) -> the after-request hooks' headers, made on first use
        self._seal = None
        if app.config.get("SEAL_DAILY"):
            from services.ledger import daily_seal

            self._seal = daily_seal.on_request

    def __call__(self, environ, start_response):
        route = self.routes.get(environ.get("PATH_INFO")) if environ.get("REQUEST_METHOD") == "POST" else None
        if route is None or self.app.debug:  # debug mode: Flask's indented JSON and its debugger
            return self.flask_wsgi(environ, start_response)
        secure = environ.get("wsgi.url_scheme") == "https" or environ.get("HTTP_X_FORWARDED_PROTO") == "https"
        if self.app.config["HTTPS"] and not secure:  # Talisman redirects it
            return self.flask_wsgi(environ, start_response)
        data = self._json_body(environ)
        if data is None:
            return self.flask_wsgi(environ, start_response)
        answer, transaction = route
        status, payload = self._answer(answer, transaction, environ, data)
        body = self.app.json.dumps_bytes(payload)
        headers = [*self._after_request_headers(environ["PATH_INFO"], secure),
                   ("Content-Length", str(len(body)))]
        start_response(f"{status} {HTTP_STATUS_CODES[status].upper()}", headers)
        return [body]

    def _json_body(self, environ):
        """The body as a dict when this layer may answer it, else None (the body is put back for Flask)."""
        if environ.get("CONTENT_TYPE", "").partition(";")[0].strip().lower() != _JSON_TYPE:
            return None
        try:
            length = int(environ.get("CONTENT_LENGTH") or -1)
        except ValueError:
            return None
        if not 0 <= length <= MAX_BODY:
            return None
        raw = environ["wsgi.input"].read(length)
        environ["wsgi.input"] = io.BytesIO(raw)
        try:
            data = orjson.loads(raw)
        except orjson.JSONDecodeError:  # Flask's parser decides (and words) it
            return None
        return data if isinstance(data, dict) and _read_alike(data) else None

    def _answer(self, answer, transaction, environ, data) -> tuple[int, dict]:
        # as Flask does for a request: the app context already current (a test's) is used, else one pushed
        with nullcontext() if has_app_context() and current_app._get_current_object() is self.app \
                else self.app.app_context():
            g.script_root = environ.get("SCRIPT_NAME", "").rstrip("/")  # the URLs the answer holds
            database.start_request("POST")
            database.expect(transaction)
            try:
                if self._seal is not None:
                    self._seal(self.app)
                return 200, answer(environ.get("HTTP_AUTHORIZATION"), data)
            except DomainError as error:  # as app.py's handler answers it
                db.session.rollback()
                return error.status, error.to_json()
            except Exception:
                db.session.rollback()
                propagate = self.app.config["PROPAGATE_EXCEPTIONS"]
                if propagate or (propagate is None and self.app.testing):  # as Flask decides
                    raise
                self.app.logger.error("Exception on %s [POST]", environ["PATH_INFO"], exc_info=sys.exc_info())
                return 500, {"error": "http_500", "message": HTTP_ERROR_MESSAGES[500]}
            finally:
                database.end_request()

    def _after_request_headers(self, path: str, secure: bool) -> list[tuple[str, str]]:
        """What the app's after-request hooks put on this route's JSON answers, and its Content-Type."""
        key = (path, secure)
        headers = self._headers.get(key)
        if headers is None:
            base_url = ("https" if secure else "http") + "://localhost"
            with self.app.test_request_context(path, method="POST", base_url=base_url):
                response = self.app.process_response(self.app.json.response({}))
            headers = self._headers[key] = [(name, value) for name, value in response.headers.items()
                                            if name.lower() != "content-length"]
        return headers


def _read_alike(value) -> bool:
    """True when the standard library's json reads the same value: orjson reads an integer beyond 64
    bits as a float, where json keeps it exact (and a kiosk body holds no float)."""
    if isinstance(value, dict):
        return all(_read_alike(item) for item in value.values())
    if isinstance(value, list):
        return all(_read_alike(item) for item in value)
    return not isinstance(value, float)
