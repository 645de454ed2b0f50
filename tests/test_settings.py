"""The embedded default and the environment-driven settings."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.db import connection


def settings_in_subprocess(env: dict[str, str], expression: str) -> str:
    code = f"import django, os; os.environ['DJANGO_SETTINGS_MODULE']='config.settings'; django.setup(); from django.conf import settings; print({expression})"
    clean = {
        k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "DEBUG", "SECRET_KEY")
    }
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={**clean, **env},
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
        check=False,
    )
    assert result.returncode == 0 or env.get("expect_failure"), result.stderr
    return result.stdout.strip() + result.stderr.strip()


def test_default_database_is_a_sqlite_file_in_wal_with_immediate_transactions():
    out = settings_in_subprocess(
        {}, "settings.DATABASES['default']['ENGINE'], settings.DATABASES['default']['OPTIONS']"
    )
    assert "sqlite3" in out and "IMMEDIATE" in out and "journal_mode=WAL" in out and "'timeout': 20" in out


@pytest.mark.django_db
def test_sqlite_connection_really_uses_wal_and_a_busy_timeout():
    if connection.vendor != "sqlite":
        assert connection.vendor == "postgresql"
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA busy_timeout")
        assert cursor.fetchone()[0] == 20000
        cursor.execute("PRAGMA foreign_keys")
        assert cursor.fetchone()[0] == 1


def test_redis_url_selects_channels_redis_with_a_large_pool():
    out = settings_in_subprocess(
        {"REDIS_URL": "redis://127.0.0.1:6379/0"}, "settings.CHANNEL_LAYERS['default']"
    )
    assert "channels_redis.core.RedisChannelLayer" in out and "'max_connections': 2000" in out
    assert "InMemoryChannelLayer" in settings_in_subprocess(
        {}, "settings.CHANNEL_LAYERS['default']['BACKEND']"
    )


def test_database_url_selects_postgresql():
    out = settings_in_subprocess(
        {"DATABASE_URL": "postgres://u@127.0.0.1:5432/db"}, "settings.DATABASES['default']['ENGINE']"
    )
    assert out == "django.db.backends.postgresql"


def test_without_a_secret_key_every_process_of_the_folder_shares_one_kept_key():
    first = settings_in_subprocess({}, "settings.SECRET_KEY")
    second = settings_in_subprocess({}, "settings.SECRET_KEY")
    assert first == second and len(first) >= 50
    assert "insecure" not in first
    assert settings_in_subprocess({"SECRET_KEY": "k" * 50}, "settings.SECRET_KEY") == "k" * 50


def test_thai_is_the_default_language_and_bangkok_time_is_shown():
    assert settings.LANGUAGE_CODE == "th"
    assert settings.TIME_ZONE == "Asia/Bangkok" and settings.USE_TZ
