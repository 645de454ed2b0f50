from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from tests import factories as f
from workflow.models import Role


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    """Tests create many users; the production hasher would dominate their run time."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _media_in_tmp(settings: Any, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Uploaded evidence and submitted books go to a scratch folder, never the project's media/."""
    settings.MEDIA_ROOT = tmp_path_factory.mktemp("media")


@pytest.fixture
def world(db: Any) -> SimpleNamespace:
    """Two districts in province 50 (region R15), one in province 51 (R16), a user per role."""
    geo = f.geography()
    edition = f.active_edition()
    w = SimpleNamespace(**geo, edition=edition)
    w.officer = f.user_with("officer", Role.DISTRICT_OFFICER, geo["d1"])
    w.officer2 = f.user_with("officer2", Role.DISTRICT_OFFICER, geo["d1"])
    w.chief = f.user_with("chief", Role.DISTRICT_CHIEF, geo["d1"])
    w.other_officer = f.user_with("other_officer", Role.DISTRICT_OFFICER, geo["d2"])
    w.other_chief = f.user_with("other_chief", Role.DISTRICT_CHIEF, geo["d2"])
    w.provincial = f.user_with("provincial", Role.PROVINCIAL_OFFICER, geo["p50"])
    w.other_provincial = f.user_with("other_provincial", Role.PROVINCIAL_OFFICER, geo["p51"])
    w.inspector = f.user_with("inspector", Role.REGIONAL_INSPECTOR, geo["region"])
    w.other_inspector = f.user_with("other_inspector", Role.REGIONAL_INSPECTOR, geo["region2"])
    w.planner = f.user_with("planner", Role.CENTRAL_PLANNER)
    w.auditor = f.user_with("auditor", Role.AUDITOR)
    w.admin = f.user_with("admin", Role.ADMIN)
    w.nobody = f.user_with("nobody")
    w.entry = f.bank_entry(geo["subs"]["500101"], "B-1")
    w.entry2 = f.bank_entry(geo["subs"]["500102"], "B-2")
    w.other_entry = f.bank_entry(geo["subs"]["500201"], "B-3")
    return w


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Any:
    """Before a transactional test's flush on SQLite, remove the audit rows the trigger protects.

    The append-only trigger refuses DELETE, and Django flushes SQLite tables with DELETE
    (PostgreSQL's TRUNCATE does not fire row triggers). Runs before the fixtures finalise.
    """
    fixtures = getattr(item, "fixturenames", ())
    marker = item.get_closest_marker("django_db")
    transactional = bool(marker and (marker.kwargs.get("transaction") or (marker.args and marker.args[0])))
    if transactional or "transactional_db" in fixtures or "live_server" in fixtures:
        _clear_audit_rows_on_sqlite(item)
    return (yield)


def _clear_audit_rows_on_sqlite(item: pytest.Item) -> None:
    from django.db import connection
    from pytest_django.plugin import blocking_manager_key

    from workflow.migrations import __name__ as migrations_package

    if connection.vendor != "sqlite":
        return
    import importlib

    append_only = importlib.import_module(f"{migrations_package}.0003_audit_append_only")
    with item.config.stash[blocking_manager_key].unblock():
        with connection.cursor() as cursor:
            cursor.execute("DROP TRIGGER IF EXISTS workflow_auditevent_no_delete")
            cursor.execute("DELETE FROM workflow_auditevent")
            cursor.execute(append_only.SQLITE_UP[1])


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """In CI no test may skip for a missing service, browser or font."""
    import os

    if os.environ.get("CI") != "true":
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = len(reporter.stats.get("skipped", [])) if reporter else 0
    if skipped:
        reporter.write_line(f"CI: {skipped} test(s) skipped; every test must run in CI", red=True)
        session.exitstatus = 1
