"""Application factory."""
import os

from flask import Flask, flash, jsonify, redirect, render_template, request, url_for
from flask_limiter import Limiter

from config import Config
from extensions import (
    UNLIMITED_ENDPOINTS,
    FastJSONProvider,
    csrf,
    db,
    limiter,
    login_manager,
    migrate,
    talisman,
)
from services import database
from services.database import private_files


def create_app(config=None, instance_path=None) -> Flask:
    """Build the app; `config` is a config class or a mapping of overrides (tests)."""
    app = Flask(__name__, instance_path=instance_path, instance_relative_config=True)
    app.config.from_object(Config)
    app.json = FastJSONProvider(app)
    if isinstance(config, dict):
        app.config.update(config)
    elif config is not None:
        app.config.from_object(config)
    private_files.private_dir(app.instance_path)
    _fill_instance_defaults(app)
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_commands(app)
    from kiosk.hot_path import KioskHotPath

    app.wsgi_app = KioskHotPath(app, app.wsgi_app)  # the scan and the redemption in front of Flask
    return app


def _fill_instance_defaults(app: Flask) -> None:
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        path = os.path.join(app.instance_path, "jifen.db")
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{path}"
    _private_sqlite_file(app.config["SQLALCHEMY_DATABASE_URI"])
    for name, filename in (("SECRET_KEY", "secret_key"), ("LEDGER_KEY", "ledger_key")):
        if not app.config.get(name):  # a key from the environment or config, else instance/<file>
            app.config[name] = private_files.key_file(os.path.join(app.instance_path, filename))


def _private_sqlite_file(url: str) -> None:
    """An SQLite database file is created 0600 before SQLite creates it (its -wal and -shm follow)."""
    prefix = "sqlite:///"
    if url.startswith(prefix) and ":memory:" not in url and "mode=memory" not in url:
        path = url[len(prefix):].split("?", 1)[0]
        if path and os.path.isdir(os.path.dirname(os.path.abspath(path))):
            private_files.touch_private(path)


def register_extensions(app: Flask) -> None:
    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(__file__), "migrations"),
                     render_as_batch=True)
    login_manager.init_app(app)
    login_manager.login_view = "admin.login"
    login_manager.login_message = "请先登录"
    csrf.init_app(app)
    limiter.init_app(app)
    check_limits_where_limited(app)
    register_security_headers(app)
    with app.app_context():
        database.install(db.engine)

    @app.before_request
    def _expect_transaction():
        database.start_request(request.method)

    if app.config.get("SEAL_DAILY"):
        from services.ledger import daily_seal

        @app.before_request
        def _daily_seal():
            daily_seal.on_request(app)

    @app.teardown_request
    def _end_transaction_kind(_error=None):
        database.end_request()


#: scripts only from our own files (no inline JS); camera for the kiosk and sign-in scanners
CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self' 'unsafe-inline'",
    "img-src": "'self' data: blob:",
    "media-src": "'self' blob: data:",
    "connect-src": "'self'",
    "font-src": "'self' data:",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def register_security_headers(app: Flask) -> None:
    https = app.config["HTTPS"]
    talisman.init_app(
        app, force_https=https, strict_transport_security=https, session_cookie_secure=https,
        content_security_policy=CONTENT_SECURITY_POLICY, frame_options="DENY",
        referrer_policy="same-origin",
        permissions_policy={"camera": "(self)", "microphone": "()", "geolocation": "()"},
    )


def check_limits_where_limited(app: Flask) -> None:
    """Flask-Limiter resolves a request's limits in a before_request hook even for an endpoint exempt
    from all of them (≈ 2 % of a kiosk redemption's CPU): skip it for extensions.UNLIMITED_ENDPOINTS."""
    hooks = app.before_request_funcs.setdefault(None, [])
    check = next((hook for hook in hooks if getattr(hook, "__func__", None) is Limiter._check_request_limit), None)
    if check is None:  # RATELIMIT_ENABLED = False: Flask-Limiter added no hook
        return

    def check_unless_unlimited():
        if request.endpoint not in UNLIMITED_ENDPOINTS:
            return check()
        return None

    hooks[hooks.index(check)] = check_unless_unlimited


def register_blueprints(app: Flask) -> None:
    from admin import bp as admin_bp
    from admin.auth import load_user  # noqa: F401  (registers the user loader)
    from kiosk import bp as kiosk_bp

    app.register_blueprint(admin_bp)
    app.register_blueprint(kiosk_bp)

    @app.route("/")
    def index():
        return redirect(url_for("admin.dashboard"))

    @app.route("/favicon.ico")
    def favicon():
        """Browsers ask every page's site for /favicon.ico; one static icon answers them all."""
        return app.send_static_file("favicon.ico")


def register_errorhandlers(app: Flask) -> None:
    from services.errors import HTTP_ERROR_MESSAGES, DomainError

    def wants_json() -> bool:
        return request.path.startswith("/kiosk/api/") or request.accept_mimetypes.best == "application/json"

    @app.errorhandler(DomainError)
    def _domain_error(error: DomainError):
        db.session.rollback()
        if wants_json():
            return jsonify(error.to_json()), error.status
        flash(error.message, "error")
        return render_template("admin/error.html", message=error.message), error.status

    for status, message in HTTP_ERROR_MESSAGES.items():
        app.register_error_handler(status, _http_error(status, message, wants_json))


def _http_error(status: int, message: str, wants_json):
    def handler(error):
        db.session.rollback()
        text = getattr(error, "description", None) if status == 400 else None
        body = text if isinstance(text, str) and not text.startswith("The browser") else message
        if wants_json():
            return jsonify({"error": f"http_{status}", "message": body}), status
        return render_template("admin/error.html", message=body), status
    return handler


def register_commands(app: Flask) -> None:
    from admin.commands import register

    register(app)
