"""Django settings. Every value comes from the environment (see .env.example)."""

from __future__ import annotations

import importlib.util
import re
import secrets
from pathlib import Path

import dj_database_url

from kamtibmas.env import ConfigError, env_bool, env_choice, env_int, env_list, env_str
from kamtibmas.forecasts.shifts import DEFAULT_SHIFTS, parse_shifts

PACKAGE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(env_str("KAMTIBMAS_VAR_DIR", str(Path.cwd() / "var"))).resolve()

DEBUG = env_bool("KAMTIBMAS_DEBUG", False)
# Production mode: HTTPS only, secure cookies, HSTS. Off for the local quick start on plain HTTP.
SECURE = env_bool("KAMTIBMAS_SECURE", False)


def _secret_key() -> str:
    key = env_str("SECRET_KEY")
    if key:
        return key
    if SECURE:
        raise ConfigError("SECRET_KEY must be set when KAMTIBMAS_SECURE=true")
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
    "kamtibmas.geo",
    "kamtibmas.accounts",
    "kamtibmas.reports",
    "kamtibmas.incidents",
    "kamtibmas.analytics",
    "kamtibmas.forecasts",
    "kamtibmas.patrols",
    "kamtibmas.notifications",
    "kamtibmas.open311",
    "kamtibmas.cctv",
    "kamtibmas.siskamling",
    "kamtibmas.community",
    "kamtibmas.portal",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "kamtibmas.portal.middleware.IndonesianFirstMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "kamtibmas.accounts.middleware.IdleSessionTimeoutMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "kamtibmas.urls"
WSGI_APPLICATION = "kamtibmas.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "kamtibmas.portal.context.site",
            ],
        },
    }
]

DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'kamtibmas.sqlite3'}")
try:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
except Exception as exc:  # dj_database_url raises several types for a bad URL
    raise ConfigError(f"DATABASE_URL is not a valid database URL: {exc}") from None
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].update(
        {"timeout": 20, "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"}
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["kamtibmas.accounts.auth.LockoutModelBackend"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.ScryptPasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "reports:inbox"
LOGOUT_REDIRECT_URL = "portal:home"
LOGIN_MAX_FAILURES = env_int("LOGIN_MAX_FAILURES", 5, minimum=1)
LOGIN_LOCKOUT_MINUTES = env_int("LOGIN_LOCKOUT_MINUTES", 15, minimum=1)
SESSION_IDLE_MINUTES = env_int("SESSION_IDLE_MINUTES", 30, minimum=1)

LANGUAGE_CODE = "id"
LANGUAGES = [("id", "Bahasa Indonesia"), ("en", "English")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = "Asia/Makassar"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"


def _package_static(name: str) -> Path:
    """The static folder of an installed package, found without importing it (django-leaflet's
    app would import GeoDjango and GDAL; we only need the Leaflet files it ships)."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError(f"the package {name!r} is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "static"


STATICFILES_DIRS = [PACKAGE_DIR / "static", _package_static("leaflet")]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = True
DATA_UPLOAD_MAX_MEMORY_SIZE = 30 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
REPORT_PHOTO_MAX_BYTES = env_int("REPORT_PHOTO_MAX_BYTES", 5 * 1024 * 1024, minimum=1024)
REPORT_PHOTO_MAX_COUNT = 5
# Uploaded import files and validation reports are deleted after this many days.
IMPORT_FILE_RETENTION_DAYS = env_int("IMPORT_FILE_RETENTION_DAYS", 30, minimum=1)
# CCTV alert snapshots (MEDIA_ROOT/cctv/, served to staff only): largest accepted, disk budget.
CCTV_SNAPSHOT_MAX_BYTES = env_int("CCTV_SNAPSHOT_MAX_BYTES", 2 * 1024 * 1024, minimum=1024)
CCTV_SNAPSHOT_BUDGET_MB = env_int("CCTV_SNAPSHOT_BUDGET_MB", 2048, minimum=1)
# Requests per worker API key per minute on POST /api/v1/cctv/events and /status, counted apart
# from API_THROTTLE so busy cameras and the general API do not use up each other's budget.
CCTV_API_THROTTLE = env_int("CCTV_API_THROTTLE", 1200, minimum=1)


def _hotspot_share() -> float:
    raw = env_str("PATROL_HOTSPOT_SHARE", "0.5")
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"PATROL_HOTSPOT_SHARE must be a number, got {raw!r}") from None
    if not 0.1 <= value <= 1.0:
        raise ConfigError(f"PATROL_HOTSPOT_SHARE must be between 0.1 and 1, got {value}")
    return value


# Share of each patrol team's shift that plans give to hotspot visits; the rest stays free for
# calls for service. Short visits (Koper: 10-15 minutes) returning at unpredictable times work
# best (Sherman and Weisburd), so plans need not fill the shift; a team must still be free to
# answer calls. 0.5: half the shift on planned visits and the driving between them.
PATROL_HOTSPOT_SHARE = _hotspot_share()

# Patrol shifts (WITA) and forecasts; see kamtibmas/forecasts/shifts.py and services.py.
PATROL_SHIFTS = parse_shifts(env_str("KAMTIBMAS_SHIFTS", DEFAULT_SHIFTS))
# The names of kamtibmas_analytics.forecast.MODEL_NAMES (importing it here would load scipy in
# every process; tests/test_forecasts_services.py checks the two agree).
FORECAST_MODELS = (
    "last_period", "long_run", "retrospective_kde", "prospective", "sepp", "learned", "auto",
)  # fmt: skip
FORECAST_MODEL = env_choice("KAMTIBMAS_FORECAST_MODEL", "auto", FORECAST_MODELS)
FORECAST_AUTO_CANDIDATES = tuple(
    env_list(
        "KAMTIBMAS_FORECAST_AUTO_CANDIDATES",
        "last_period,long_run,retrospective_kde,prospective,sepp",
    )
)
if not FORECAST_AUTO_CANDIDATES or set(FORECAST_AUTO_CANDIDATES) - set(FORECAST_MODELS[:-1]):
    raise ConfigError(
        "KAMTIBMAS_FORECAST_AUTO_CANDIDATES must name models of "
        + ", ".join(FORECAST_MODELS[:-1])
        + f", got {','.join(FORECAST_AUTO_CANDIDATES)!r}"
    )
FORECAST_CELL_M = env_int("KAMTIBMAS_FORECAST_CELL_M", 150, minimum=25)
FORECAST_SHIFTS = env_int("KAMTIBMAS_FORECAST_SHIFTS", 3, minimum=1)
FORECAST_NIGHTLY_HOUR = min(23, env_int("KAMTIBMAS_FORECAST_NIGHTLY_HOUR", 18, minimum=0))
FORECAST_SCORE_DELAY_H = env_int("KAMTIBMAS_FORECAST_SCORE_DELAY_H", 24, minimum=0)
FORECAST_TOP_CELLS = env_int("KAMTIBMAS_FORECAST_TOP_CELLS", 20, minimum=1)

# Sender of the public alerts' CAP documents; empty: humas@<host of PUBLIC_BASE_URL>.
CAP_SENDER = env_str("CAP_SENDER", "")
# Days before an incident counts in the public statistics and open data (at least 7).
PUBLIC_STATS_DELAY_DAYS = env_int("PUBLIC_STATS_DELAY_DAYS", 7, minimum=7)

# Throttling: "count/period" with period s, m, h or d.
REPORT_THROTTLE = env_str("REPORT_THROTTLE", "10/h")
API_THROTTLE = env_str("API_THROTTLE", "120/m")
TRACK_THROTTLE = env_str("TRACK_THROTTLE", "60/m")
# Public event registration and cancelling, and self check-in at a venue (per event: many phones
# there may share one Wi-Fi address).
EVENT_THROTTLE = env_str("EVENT_THROTTLE", "30/h")
EVENT_ATTEND_THROTTLE = env_str("EVENT_ATTEND_THROTTLE", "300/h")
# Public alert and statistics subscriptions (the form), per address.
SUBSCRIBE_THROTTLE = env_str("SUBSCRIBE_THROTTLE", "10/h")
for _name in ("REPORT_THROTTLE", "API_THROTTLE", "TRACK_THROTTLE", "EVENT_THROTTLE",
              "EVENT_ATTEND_THROTTLE", "SUBSCRIBE_THROTTLE"):  # fmt: skip
    if not re.fullmatch(r"[1-9][0-9]*/[smhd]", globals()[_name].strip()):
        raise ConfigError(f"{_name}: use COUNT/PERIOD with period s, m, h or d, e.g. 10/h")

REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "kamtibmas_cache",
        }
    }

TASKS = {
    "default": {
        "BACKEND": env_choice(
            "TASKS_BACKEND",
            "django_tasks_db.DatabaseBackend",
            (
                "django_tasks_db.DatabaseBackend",
                "django_tasks.backends.immediate.ImmediateBackend",
                "django_tasks.backends.dummy.DummyBackend",
            ),
        )
    }
}

EMAIL_HOST = env_str("EMAIL_HOST")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env_int("EMAIL_PORT", 587)
    EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
    EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = VAR_DIR / "mail"
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "kamtibmas@localhost")
SMS_GATEWAY = env_str("SMS_GATEWAY", "kamtibmas.notifications.gateways.LoggingGateway")
PUBLIC_BASE_URL = env_str("PUBLIC_BASE_URL", "http://127.0.0.1:8000")

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if SECURE:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"

LEAFLET_CONFIG = {
    "DEFAULT_CENTER": (-1.2379, 116.8529),
    "DEFAULT_ZOOM": 12,
    "TILES": env_str("MAP_TILES_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png"),
}
MAP_TILES_URL = LEAFLET_CONFIG["TILES"]

LOG_LEVEL = env_choice("LOG_LEVEL", "INFO", ("DEBUG", "INFO", "WARNING", "ERROR"))
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
