"""Drill: back up the database and the media files, wipe both, restore, verify (issue 12, item 6).

    .venv/bin/python -m drills.backup_restore

On a private PostgreSQL cluster (``initdb`` in a temp dir, a free port) and a temporary
``MEDIA_ROOT``: ``manage.py migrate`` and ``manage.py seed_demo`` (the whole country, the demo's
projects in every state, a district's submitted report book and covering letter: files in
``MEDIA_ROOT``), then exactly the documented backup (``docs/reliability.md``)::

    manage.py audit_checkpoint --out checkpoint.json      # first: the backup holds all it covers
    pg_dump --format=custom --no-owner --dbname="$DATABASE_URL" --file=db.dump
    tar --create --gzip --file=media.tar.gz --directory="$MEDIA_ROOT" .

the wipe (``DROP DATABASE``, the media folder removed), and the documented restore::

    createdb; pg_restore --no-owner --exit-on-error --dbname="$DATABASE_URL" db.dump
    tar --extract --gzip --file=media.tar.gz --directory="$MEDIA_ROOT"
    manage.py verify_audit --checkpoint checkpoint.json

Must hold: ``verify_audit --checkpoint`` succeeds; every table holds as many rows as before the
backup; every file a row refers to (each ``FileField`` of every model) exists after the restore
with the same SHA-256 as before. Exit status 0 only then.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from drills import infra
from drills.infra import log

DATABASE = "rolemodel"


def table_counts() -> dict[str, int]:
    from django.db import connection

    counts = {}
    with connection.cursor() as cursor:
        for table in sorted(connection.introspection.table_names()):
            cursor.execute(f"SELECT count(*) FROM {connection.ops.quote_name(table)}")  # noqa: S608 - names from the catalogue
            counts[table] = int(cursor.fetchone()[0])
    connection.close()
    return counts


def referenced_files(media: Path) -> dict[str, str | None]:
    """Every file a row refers to (``FileField``s of every model): its SHA-256, None when missing."""
    from django.apps import apps
    from django.db import connection, models

    found: dict[str, str | None] = {}
    for model in apps.get_models():
        for f in model._meta.get_fields():
            if not isinstance(f, models.FileField):
                continue
            for name in model._default_manager.exclude(**{f.name: ""}).values_list(f.name, flat=True):
                if not name:
                    continue
                path = media / str(name)
                found[f"{model._meta.label}.{f.name}:{name}"] = (
                    hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None
                )
    connection.close()
    return found


def add_evidence(count: int) -> int:
    """A few photos on the demo's approved project (through the service, audited), so that the
    media folder holds more than the submitted book and letter."""
    from django.contrib.auth import get_user_model
    from django.db import connection

    from tests import factories as f
    from workflow.models import Project, State
    from workflow.services.projects import evidence_add

    officer = get_user_model().objects.get(username="officer")
    project = Project.objects.filter(district_id="5001", state=State.APPROVED).order_by("pk").first()
    if project is None:
        raise RuntimeError("the demo has no approved project in 5001")
    for i in range(count):
        evidence_add(
            project=project,
            acting_user=officer,
            uploaded=f.image_upload(f"photo-{i}.png", colour=(40 * i % 256, 120, 60)),
            caption=f"ภาพกิจกรรม {i + 1}",
        )
    connection.close()
    return count


def run(command: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    log("$ " + " ".join(command))
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)  # noqa: S603
    if done.returncode != 0:
        raise RuntimeError(f"{command[0]} failed ({done.returncode}): {done.stderr[-2000:]}")
    return done


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.parse_args(argv)
    started = time.monotonic()
    pg = infra.PrivatePostgres("backup")
    failures: list[str] = []
    result: dict[str, Any] = {}
    with infra.scratch("rm-drill-backup-") as work:
        media = work / "media"
        media.mkdir()
        backup = work / "backup"
        backup.mkdir()
        try:
            pg.init()
            pg.start()
            pg.create_database(DATABASE)
            url = pg.url(DATABASE)
            env = infra.service_env(url, media)
            log(f"private PostgreSQL on port {pg.port}; migrate and seed_demo")
            for args in (("migrate", "--noinput"), ("seed_demo",)):
                done = infra.manage(env, *args)
                if done.returncode != 0:
                    print(done.stdout[-2000:], done.stderr[-2000:], file=sys.stderr)
                    return 2
            infra.setup_django(env)
            add_evidence(5)
            before_counts = table_counts()
            before_files = referenced_files(media)
            media_files = sum(1 for p in media.rglob("*") if p.is_file())

            # The backup, as documented.
            checkpoint = backup / "checkpoint.json"
            done = infra.manage(env, "audit_checkpoint", "--out", str(checkpoint))
            if done.returncode != 0:
                raise RuntimeError(f"audit_checkpoint failed: {done.stderr}")
            dump = backup / "db.dump"
            run(
                [
                    str(pg.bin / "pg_dump"),
                    "--format=custom",
                    "--no-owner",
                    f"--dbname={url}",
                    f"--file={dump}",
                ]
            )
            archive = backup / "media.tar.gz"
            run(["tar", "--create", "--gzip", f"--file={archive}", f"--directory={media}", "."])
            result["dump_bytes"] = dump.stat().st_size
            result["media_bytes"] = archive.stat().st_size

            # The wipe.
            pg.drop_database(DATABASE)
            shutil.rmtree(media)
            log("database dropped, media removed")
            wiped = infra.manage(env, "verify_audit", "--workers", "1")
            result["verify_on_wiped_fails"] = wiped.returncode != 0

            # The restore, as documented.
            run(
                [
                    str(pg.bin / "createdb"),
                    "--host=127.0.0.1",
                    f"--port={pg.port}",
                    "--username=postgres",
                    DATABASE,
                ]
            )
            run([str(pg.bin / "pg_restore"), "--no-owner", "--exit-on-error", f"--dbname={url}", str(dump)])
            media.mkdir()
            run(["tar", "--extract", "--gzip", f"--file={archive}", f"--directory={media}"])
            verified = infra.manage(env, "verify_audit", "--checkpoint", str(checkpoint), "--workers", "1")
            result["verify_out"] = (verified.stdout + verified.stderr).strip()
            if verified.returncode != 0:
                failures.append(f"verify_audit --checkpoint failed: {result['verify_out'][-800:]}")
            after_counts = table_counts()
            after_files = referenced_files(media)
        finally:
            infra.keep_logs({"postgres.log": pg.logfile})
            pg.teardown()

    lost_rows = {
        t: before_counts[t] - after_counts.get(t, 0)
        for t in before_counts
        if before_counts[t] != after_counts.get(t, 0)
    }
    missing = [k for k, v in after_files.items() if v is None]
    changed = [k for k in before_files if after_files.get(k) != before_files[k]]
    if lost_rows:
        failures.append(f"tables with other row counts after the restore: {lost_rows}")
    if missing:
        failures.append(f"{len(missing)} files referenced by the database are missing: {missing[:5]}")
    if changed:
        failures.append(f"{len(changed)} files differ from before the backup: {changed[:5]}")
    if not before_files:
        failures.append("the demo holds no files: nothing was checked")
    if not result.get("verify_on_wiped_fails"):
        failures.append("verify_audit did not fail on the wiped database (the check cannot fail)")

    rows = sum(before_counts.values())
    print("BACKUP AND RESTORE drill (pg_dump -Fc / pg_restore, tar of MEDIA_ROOT, verify_audit --checkpoint)")
    print(
        f"  seeded: {rows} rows in {len(before_counts)} tables, {before_counts.get('workflow_auditevent', 0)} audit events, {media_files} media files"
    )
    print(
        f"  backup: database dump {result.get('dump_bytes', 0) / 1e6:.1f} MB, media archive {result.get('media_bytes', 0) / 1e6:.1f} MB, checkpoint"
    )
    print(
        "  wiped: database dropped, media folder removed (verify_audit then fails: %s)"
        % result.get("verify_on_wiped_fails")
    )
    print(f"  restored: {sum(after_counts.values())} rows; tables with other counts: {len(lost_rows)}")
    print(
        f"  files referenced by the database: {len(before_files)}; missing after the restore: {len(missing)}; changed: {len(changed)}"
    )
    print(
        f"  verify_audit --checkpoint: {result.get('verify_out', '').splitlines()[-2:] if result.get('verify_out') else ''}"
    )
    print(f"  records lost: {sum(max(0, v) for v in lost_rows.values()) + len(missing)}")
    print(f"  total time: {time.monotonic() - started:.0f} s")
    if failures:
        print("FAILED: " + "; ".join(failures))
        return 1
    print("PASSED")
    return 0


if __name__ == "__main__":
    sys.exit(main())
