"""Flask extensions, created unbound and initialised in create_app."""

import flask
import orjson
from flask.json.provider import DefaultJSONProvider
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_talisman import Talisman
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
#: WTForms' own messages (请选择有效的选项 …) in Chinese from its bundled catalog, read with the standard
#: library's gettext (config WTF_I18N_ENABLED = False: Flask-WTF would otherwise need Flask-Babel)
FlaskForm.Meta.locales = ("zh",)
limiter = Limiter(key_func=get_remote_address)
#: endpoints exempt from every rate limit: their requests skip Flask-Limiter's per-request work
#: (app.check_limits_where_limited); the app sets no default limits
UNLIMITED_ENDPOINTS: set[str] = set()


class OncePerWorkerTalisman(Talisman):
    """Flask-Talisman, its policy header texts made once per worker: it joined the same CSP and
    permissions policies anew for every response (per-worker work a kiosk request need not pay,
    docs/performance.md). A response with a CSP nonce still gets its own text."""

    def _parse_policy(self, policy):
        if getattr(flask.request, "csp_nonce", None):
            return super()._parse_policy(policy)
        cache = self.__dict__.setdefault("_parsed_policies", {})
        cached = cache.get(id(policy))
        if cached is None or cached[0] is not policy:
            cached = cache[id(policy)] = (policy, super()._parse_policy(policy))
        return cached[1]


talisman = OncePerWorkerTalisman()


class FastJSONProvider(DefaultJSONProvider):
    """JSON responses (jsonify) encoded by orjson (why: docs/performance.md#why-each-trick-exists).
    The output is the same JSON as Flask's (types orjson does not know — dates, Decimal,
    dataclasses — go to Flask's own `default`), except that text is UTF-8 instead of \\u escapes.
    Keys keep the order they were built in. Debug mode's indented output stays with Flask's encoder."""

    sort_keys = False
    _OPTIONS = (orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_NON_STR_KEYS
                | orjson.OPT_APPEND_NEWLINE)

    def response(self, *args, **kwargs):
        if self.compact is False or (self.compact is None and self._app.debug):
            return super().response(*args, **kwargs)
        return self._app.response_class(self.dumps_bytes(self._prepare_response_obj(args, kwargs)),
                                        mimetype=self.mimetype)

    def dumps_bytes(self, obj) -> bytes:
        """A response body, as response() encodes it outside debug mode."""
        return orjson.dumps(obj, default=self.default, option=self._OPTIONS)
