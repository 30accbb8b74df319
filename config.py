"""Configuration. Defaults run an embedded SQLite database under instance/;
DATABASE_URL switches to PostgreSQL (postgresql+psycopg://...)."""
import os


def _database_url():
    url = os.environ.get("DATABASE_URL")
    if url and url.startswith("postgresql://"):
        # psycopg 3 is the driver we install.
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


class Config:
    #: None -> sqlite file in the instance folder (filled in by create_app)
    SQLALCHEMY_DATABASE_URI = _database_url()
    #: no pool_pre_ping: it costs a round trip per request; after a database restart the pool is
    #: invalidated by the first request that fails (the kiosk retries it with the same request_id)
    SQLALCHEMY_ENGINE_OPTIONS = {}
    #: None -> read from the environment or generated once into instance/
    SECRET_KEY = os.environ.get("SECRET_KEY")
    #: HMAC key of the ledger hash chain; kept outside the database on purpose
    LEDGER_KEY = os.environ.get("LEDGER_KEY")
    #: where ledger seal files are written, outside the database (None -> instance/seals/);
    #: docs/decisions.md#ledger-seals
    SEAL_FOLDER = os.environ.get("JIFEN_SEAL_FOLDER")
    #: seal the ledger once a day, on the first request after local midnight
    SEAL_DAILY = os.environ.get("JIFEN_SEAL_DAILY", "1") == "1"
    TIMEZONE = os.environ.get("JIFEN_TIMEZONE", "Asia/Shanghai")
    #: WTForms messages come from FlaskForm.Meta.locales (extensions.py), not from Flask-Babel
    WTF_I18N_ENABLED = False
    # Staff pages stay open for a working day; the kiosk API does not use CSRF.
    WTF_CSRF_TIME_LIMIT = 12 * 3600
    #: village offices often serve plain HTTP on the LAN; set JIFEN_HTTPS=1 behind TLS
    HTTPS = os.environ.get("JIFEN_HTTPS") == "1"
    #: a staff login lasts at most this long, and ends after this long without a request
    #: (docs/decisions.md#staff-sessions)
    STAFF_SESSION_HOURS = float(os.environ.get("JIFEN_STAFF_SESSION_HOURS", "12"))
    STAFF_IDLE_MINUTES = float(os.environ.get("JIFEN_STAFF_IDLE_MINUTES", "30"))
    PERMANENT_SESSION_LIFETIME = int(STAFF_SESSION_HOURS * 3600)
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_HEADERS_ENABLED = True
    LOGIN_RATE_LIMIT = "10 per minute"
    MAX_CONTENT_LENGTH = 16 * 1024 * 1024
    #: county policy: separate, non-redeemable base points (底分); 0 = off
    BASE_POINTS = int(os.environ.get("JIFEN_BASE_POINTS", "0"))
    #: county policy: base points count in rankings
    RANKINGS_INCLUDE_BASE = False
    #: optional monthly cap per household over rule awards and activities (0 = none)
    MONTHLY_CAP = int(os.environ.get("JIFEN_MONTHLY_CAP", "100"))
    #: single entries above this need a second person (maker-checker; docs/decisions.md#approver)
    APPROVAL_THRESHOLD = int(os.environ.get("JIFEN_APPROVAL_THRESHOLD", "50"))
    #: per-county overrides of APPROVAL_THRESHOLD and BASE_POINTS:
    #: {county id or name: {"approval_threshold": 20, "base_points": 10}} (services/staff/county_settings.py)
    COUNTY_SETTINGS: dict = {}
    #: offline kiosk (docs/offline.md): the most points a kiosk may hold per household while cut off,
    #: and how long after its last refresh it may sell offline; per county in COUNTY_SETTINGS
    #: ("offline_allowance_cap", "offline_window_hours")
    OFFLINE_ALLOWANCE_CAP = int(os.environ.get("JIFEN_OFFLINE_ALLOWANCE_CAP", "100"))
    OFFLINE_WINDOW_HOURS = int(os.environ.get("JIFEN_OFFLINE_WINDOW_HOURS", "72"))
    #: kiosk idle timeout and warning, seconds
    KIOSK_IDLE_SECONDS = 60
    KIOSK_WARN_SECONDS = 20
    #: the cache of spoken phrases with amounts or goods: at most this many files / bytes, oldest evicted
    KIOSK_AUDIO_CACHE_FILES = 2000
    KIOSK_AUDIO_CACHE_BYTES = 64 * 1024 * 1024
    #: base URL printed in the card QR codes (<base>/c/<token>)
    PUBLIC_BASE_URL = os.environ.get("JIFEN_PUBLIC_BASE_URL", "http://127.0.0.1:5000")
    #: year-end policy: carry_over | expire (points older than N months) | reset (to base)
    YEAR_END_POLICY = os.environ.get("JIFEN_YEAR_END_POLICY", "carry_over")
    YEAR_END_EXPIRE_MONTHS = int(os.environ.get("JIFEN_YEAR_END_EXPIRE_MONTHS", "12"))
    #: per-county overrides: {county id or name: {"policy": "expire", "months": 24}}
    YEAR_END_COUNTY_POLICIES: dict = {}


class TestConfig(Config):
    TESTING = True
    SECRET_KEY = "test-secret-key"
    LEDGER_KEY = "test-ledger-key"
    WTF_CSRF_ENABLED = False
    RATELIMIT_ENABLED = False
    SEAL_DAILY = False
