"""Settings, read from the environment with safe local defaults.

DATABASE_URL  default: SQLite file ``db.sqlite3`` in the project folder (WAL, IMMEDIATE)
DATABASE_POOL_SIZE  PostgreSQL connections pooled per process (default 0: one per request)
DATABASE_CONNECT_TIMEOUT  seconds to connect to PostgreSQL (default 2); DATABASE_POOL_TIMEOUT
              seconds to wait for a pooled connection (default 10): then 503 database_unavailable
DATABASE_PREPARE_THRESHOLD  PostgreSQL: the hot path's fixed statements are prepared once a
              connection has run one this many times (default 5; "off": never, for poolers
              that cannot keep prepared statements)
REDIS_URL     optional: channels-redis; without it the in-memory channel layer
SECRET_KEY    the signing key; without it, one is generated once into ``.secret_key`` beside
              this project (mode 600) and reused: several processes on one host share it, and
              several hosts must be given the same SECRET_KEY
DEBUG         "1"/"true" to enable; off unless the environment turns it on (``make run`` does,
              for the demo, and says so)
ALLOWED_HOSTS comma separated (default: localhost names)
HTTPS         "true" in production: the service is reached over HTTPS only (SSL redirect, HSTS,
              secure cookies); ``check --deploy`` is clean with it and DEBUG off
HSTS_SECONDS  HSTS max-age when HTTPS is on (default one year); HSTS_PRELOAD "false" not to ask
              browsers for preload (default: asked)
UPLOAD_MAX_MB the largest file accepted (evidence, photos; default 10)
TRUSTED_PROXIES  how many reverse proxies stand in front of the service (default 0). With N > 0
              the client's address is the N-th from the right of X-Forwarded-For (what the
              nearest proxy saw) and X-Forwarded-Proto says whether the client used HTTPS;
              with 0 both headers are ignored and the socket's address counts (throttles,
              lock-outs), so a client cannot choose its own address
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

from config.redis_layer import channel_layer_host

BASE_DIR = Path(__file__).resolve().parent.parent


def local_secret_key(path: Path) -> str:
    """The key kept in ``path``, made once (random, readable by its owner only) if missing."""
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    key = secrets.token_urlsafe(50)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first: use theirs
        return path.read_text().strip()
    with os.fdopen(descriptor, "w") as handle:
        handle.write(key)
    return key


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if not value:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


DEBUG = env_bool("DEBUG", default=False)
SECRET_KEY = os.environ.get("SECRET_KEY") or local_secret_key(BASE_DIR / ".secret_key")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

# Signs the audit checkpoints (workflow/checkpoints.py); derived from SECRET_KEY when unset.
AUDIT_CHECKPOINT_KEY = os.environ.get("AUDIT_CHECKPOINT_KEY", "")
# Keys of the audit trail's hashes (HMAC-SHA256; workflow/audit.py): "id:secret" pairs, comma
# separated, the first the one new events are hashed with; keep the older ones listed to verify
# the events they hashed (rotation: README.md, "The audit trail"). Unset: a key derived from SECRET_KEY (id "sk").
AUDIT_HASH_KEYS = os.environ.get("AUDIT_HASH_KEYS", "")
# Accept events hashed with plain SHA-256 before keyed hashes (an upgraded installation only):
# such events still verify, but only before the first keyed event of their chain.
AUDIT_HASH_ALLOW_UNKEYED = env_bool("AUDIT_HASH_ALLOW_UNKEYED", default=False)
# Who receives the daily checkpoint (default: the active edition's central address).
AUDIT_CHECKPOINT_EMAIL = os.environ.get("AUDIT_CHECKPOINT_EMAIL", "")

# Transport security: on when the deployment says it is served over HTTPS.
HTTPS = env_bool("HTTPS", default=False)
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
LANGUAGE_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = int(os.environ.get("HSTS_SECONDS", str(365 * 24 * 3600))) if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS and env_bool("HSTS_PRELOAD", default=True)
if HTTPS and not SECURE_HSTS_PRELOAD:
    SILENCED_SYSTEM_CHECKS = ["security.W021"]  # the deployment chose not to ask for preload
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# The reverse proxies in front of the service: only then are their headers believed.
TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES", "0"))
if TRUSTED_PROXIES > 0:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    USE_X_FORWARDED_HOST = env_bool("USE_X_FORWARDED_HOST", default=False)

INSTALLED_APPS = [
    "daphne",
    "workflow.admin_apps.RoleModelAdminConfig",  # django.contrib.admin, opened by the admin role
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "viewflow.workflow",
    "workflow",
    "approvals",
    "notifications",
    "reports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "workflow.api.middleware.ApiBodyLimitMiddleware",  # before anything reads the body
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
    "config.middleware.SynchronousStack",  # last: the stack above runs in one thread (its docstring)
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # throttles repeated failed logins first
    "django.contrib.auth.backends.ModelBackend",
    "workflow.admin_site.AdminRoleBackend",  # the admin role's model permissions (access.py)
]
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = 0.25  # hours: a locked-out username and address may try again after 15 minutes
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# The API's lock-out answers problem+json 429; the pages keep the template.
AXES_LOCKOUT_CALLABLE = "workflow.api.problems.axes_lockout"
# The client's address: the socket's, or the one the nearest trusted proxy saw (as the throttles).
AXES_CLIENT_IP_CALLABLE = "config.client.client_address"

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "workflow.web.context.navigation",
                "notifications.context.notices",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=0,
        # A kept connection that died (the server restarted) is replaced before use, not failed on.
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A database that does not answer is given up on quickly (libpq's minimum, 2 s), so requests
    # during an outage answer 503 database_unavailable (workflow/api/problems.py) instead of hanging.
    DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = int(
        os.environ.get("DATABASE_CONNECT_TIMEOUT", "2")
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # from DATABASE_URL
    DATABASES["default"]["OPTIONS"] = {
        # Writers queue for the lock instead of failing at once; see docs in README.
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
    }
    # Tests use a file too (one per test process), so threads and live servers see real locking.
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / f".test-db-{os.getpid()}.sqlite3")}
    # Django's SQLite backend, rewriting each statement's placeholders once per text and
    # checkpointing the write-ahead log in a thread, off the request path (config/sqlite3).
    DATABASES["default"]["ENGINE"] = "config.sqlite3"
# How often that thread copies the log back into the database (seconds; 0: SQLite's automatic
# checkpoints inside the committing request, every 1,000 pages), and the automatic checkpoint
# kept on every connection as a backstop (pages of 4 KB).
SQLITE_CHECKPOINT_SECONDS = float(os.environ.get("SQLITE_CHECKPOINT_SECONDS", "0.25"))
SQLITE_CHECKPOINT_BACKSTOP = int(os.environ.get("SQLITE_CHECKPOINT_BACKSTOP", "10000"))
# PostgreSQL: a pool of this many connections per process (psycopg's pool, as Django advises
# under ASGI instead of persistent connections); 0 (the default): a connection per request.
DATABASE_POOL_SIZE = int(os.environ.get("DATABASE_POOL_SIZE", "0"))
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and DATABASE_POOL_SIZE > 0:
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 1,
        "max_size": DATABASE_POOL_SIZE,
        # How long a request waits for a pooled connection (the pool busy, or the database down:
        # then 503 database_unavailable). docs/reliability.md: the outage drill with a pool.
        "timeout": float(os.environ.get("DATABASE_POOL_TIMEOUT", "10")),
    }
# PostgreSQL: ``workflow.sql``'s fixed statements bind on the server and are prepared after this
# many runs on one connection (psycopg's ``prepare_threshold``; Django's own queries bind on the
# client and are never prepared). "off" turns it off.
_prepare = os.environ.get("DATABASE_PREPARE_THRESHOLD", "5").strip().lower()
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and _prepare not in ("off", "none", ""):
    DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = int(_prepare)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                # redis-py 8 caps its async pool at 100 connections by default.
                "hosts": [
                    channel_layer_host(
                        REDIS_URL,
                        max_connections=int(os.environ.get("REDIS_MAX_CONNECTIONS", "2000")),
                        # redis-py 8 reads with a 5 s socket_timeout by default and channels-redis
                        # blocks 5 s in BZPOPMIN, so idle websockets were closed (1011) every ~5 s.
                        socket_timeout=15,
                        socket_connect_timeout=5,
                    )
                ],
                # Per server process, not per socket: the default 100 silently dropped pushes.
                "capacity": int(os.environ.get("CHANNEL_LAYER_CAPACITY", "5000")),
            },
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "th"
LANGUAGES = [("th", _("Thai")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Bangkok"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))

LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/inbox/"
LOGOUT_REDIRECT_URL = "/accounts/login/"
STATICFILES_DIRS = [BASE_DIR / "static"]
LANGUAGE_COOKIE_NAME = "rolemodel_language"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # the page script reads it for fetch() calls
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "workflow.api.auth.FixedTokenAuthentication",  # DRF's token check in one fixed statement
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "workflow.api.pagination.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "workflow.api.schema.ProblemAutoSchema",
    "EXCEPTION_HANDLER": "workflow.api.problems.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    # Throttles key on the socket's address, or the one the nearest trusted proxy saw: never on
    # an X-Forwarded-For the client wrote itself.
    "NUM_PROXIES": TRUSTED_PROXIES,
    "DEFAULT_PARSER_CLASSES": [
        "workflow.api.parsers.JSONParser",  # size and nesting limits: 413 and 400, never a 500
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
}

# Limits of what a request may carry (issue 12): a file, a JSON body, a whole API request.
UPLOAD_MAX_BYTES = int(os.environ.get("UPLOAD_MAX_MB", "10")) * 1024 * 1024
API_JSON_MAX_BYTES = 1024 * 1024
API_JSON_MAX_DEPTH = 32
# Up to five photos with a progress update, and the form's fields.
API_MAX_BODY_BYTES = 5 * UPLOAD_MAX_BYTES + 1024 * 1024

SPECTACULAR_SETTINGS = {
    "TITLE": "Role Model Workflow API",
    "DESCRIPTION": "Workflow and approvals for DOPA's Role Model district programme.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "DimensionEnum": "workflow.models.programme.Dimension.choices",
        "ProgressKindEnum": "workflow.api.progress.ProgressKind",
    },
    # ``<id:pk>`` (config/converters.py): an integer of at most 18 digits.
    "PATH_CONVERTER_OVERRIDES": {"id": {"type": "integer", "minimum": 0, "maximum": 999_999_999_999_999_999}},
}

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "rolemodel@localhost")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=False)
EMAIL_TIMEOUT = int(
    os.environ.get("EMAIL_TIMEOUT", "10")
)  # immediate mail is sent after the request's commit

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}

# Where `seed_demo` and the tests find the whole country's geography (shipped in data/thai-admin).
THAI_ADMIN_DATA_DIR = Path(os.environ.get("THAI_ADMIN_DATA_DIR", BASE_DIR / "data" / "thai-admin"))

# --- The report book (reports/) -----------------------------------------------------------
# Chromium prints the book (see reports/pdf.py for why). Fonts: Debian's fonts-thai-tlwg
# Laksaman is TH Sarabun New; an office may point these at its own TH SarabunPSK files.
# The OpenType (CFF) files of fonts-thai-tlwg-otf come first: printed from them, the PDF's text
# layer gives whole words (เป็น, ปัญหา, ปีงบประมาณ); the TrueType files split words at the upper
# vowels of ป ฝ ฟ (เป็ น). See "Fonts" in README.md.
_TLWG = Path("/usr/share/fonts/truetype/tlwg")
_TLWG_OTF = Path("/usr/share/fonts/opentype/tlwg")


def _tlwg(name: str) -> str:
    otf = _TLWG_OTF / f"{name}.otf"
    return str(otf if otf.is_file() else _TLWG / f"{name}.ttf")


# The browser that prints the book: Debian's chromium-headless-shell when installed (`make`
# installs it), else chromium. The shell is the same engine without the browser's interface:
# the same PDF and text layer, a smaller browser process and no interface renderer, about
# 150 MB less per print (docs/benchmarks.md).
# The program itself, not Debian's /usr/bin wrapper: that one is a shell that does not exec, so
# stopping it on a timeout would leave the browser running.
_HEADLESS_SHELL = Path("/usr/lib/chromium/chromium-headless-shell")
REPORT_BOOK_CHROMIUM = os.environ.get(
    "REPORT_BOOK_CHROMIUM", str(_HEADLESS_SHELL) if _HEADLESS_SHELL.is_file() else "chromium"
)
# Extra command-line switches for that Chromium, space separated. ("--single-process --no-zygote"
# saves memory but is not robust: a print's browser closed mid-transfer in CI.)
REPORT_BOOK_CHROMIUM_ARGS = os.environ.get("REPORT_BOOK_CHROMIUM_ARGS", "").split()
REPORT_BOOK_FONTS = {
    "regular": os.environ.get("REPORT_BOOK_FONT_REGULAR", _tlwg("Laksaman")),
    "bold": os.environ.get("REPORT_BOOK_FONT_BOLD", _tlwg("Laksaman-Bold")),
    "italic": os.environ.get("REPORT_BOOK_FONT_ITALIC", _tlwg("Laksaman-Italic")),
}
REPORT_BOOK_FONT_SIZE = os.environ.get("REPORT_BOOK_FONT_SIZE", "16pt")
REPORT_BOOK_TIMEOUT = int(os.environ.get("REPORT_BOOK_TIMEOUT", "120"))
# At most this many Chromiums print at once per server process (about 0.5 GB each); a render
# waits this many seconds for a slot, then answers 503 with Retry-After (reports/render.py).
REPORT_BOOK_MAX_RENDERS = int(os.environ.get("REPORT_BOOK_MAX_RENDERS", "2"))
REPORT_BOOK_RENDER_WAIT = float(os.environ.get("REPORT_BOOK_RENDER_WAIT", "10"))
# A book longer than this is refused (422 book_too_long), never stored.
REPORT_BOOK_MAX_PAGES = int(os.environ.get("REPORT_BOOK_MAX_PAGES", "200"))
# Drafts are cached by what they print (folder; "": MEDIA_ROOT/cache/book-drafts); the least
# recently used go beyond this many bytes.
REPORT_BOOK_DRAFT_CACHE_DIR = os.environ.get("REPORT_BOOK_DRAFT_CACHE_DIR", "")
REPORT_BOOK_DRAFT_CACHE_BYTES = int(os.environ.get("REPORT_BOOK_DRAFT_CACHE_BYTES", str(512 * 1024 * 1024)))
# The editable DOCX names the font offices have installed (Word substitutes if missing).
REPORT_BOOK_DOCX_FONT = os.environ.get("REPORT_BOOK_DOCX_FONT", "TH SarabunPSK")
