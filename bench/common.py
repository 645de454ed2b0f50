"""Helpers shared by the issue-9 benchmarks: Django set-up, throwaway databases, counting, percentiles.

Nothing here imports Django at module level, so the orchestrator (``bench/run.py``) can use it
without choosing a database first.
"""

from __future__ import annotations

import math
import os
import resource
import secrets
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
GEOGRAPHY = ROOT / "data" / "thai-admin"
PG_ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"
PG_BENCH_URL = "postgres://postgres@127.0.0.1:5432/rmbench"


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (0 for an empty list)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def peak_rss_mb(who: int = resource.RUSAGE_SELF) -> float:
    """Peak resident set size in MB (Linux reports kilobytes)."""
    return resource.getrusage(who).ru_maxrss / 1024


class StatementCounter:
    """A ``connection.execute_wrapper`` counting every statement Django sends (BEGIN/SAVEPOINT too)."""

    def __init__(self) -> None:
        self.n = 0

    def __call__(self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        self.n += 1
        return execute(sql, params, many, context)


def pg_recreate(name: str, *, drop_only: bool = False) -> None:
    """Drop (WITH FORCE) and, unless ``drop_only``, create the PostgreSQL database ``name``."""
    import psycopg

    if not name.isidentifier():
        raise ValueError(f"not a plain database name: {name!r}")
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if not drop_only:
            conn.execute(f'CREATE DATABASE "{name}"')


def setup_django(database_url: str) -> None:
    """Configure the environment for ``config.settings`` on ``database_url`` and set Django up."""
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": database_url,
            "DEBUG": "0",
            "SECRET_KEY": os.environ.get("BENCH_SECRET_KEY") or secrets.token_urlsafe(40),
            "ALLOWED_HOSTS": "testserver,127.0.0.1,localhost",
            "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
            "LOG_LEVEL": "ERROR",
        }
    )
    os.environ.pop("REDIS_URL", None)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def vendor() -> str:
    from django.db import connection

    return str(connection.vendor)


def analyze() -> None:
    """Planner statistics, as a database that has lived a while would have them."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def fresh_user(pk: int) -> Any:
    """The user as a request would load it: a new object, no cached grants or permissions."""
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(pk=pk)
