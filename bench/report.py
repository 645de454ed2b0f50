#!/usr/bin/env python
"""Report book benchmark: build time and peak memory for one district's book.

Run from the project folder with the project's virtualenv::

    .venv/bin/python bench/report.py              # 10 runs of the issue's district
    .venv/bin/python bench/report.py --runs 30 --docx

What it does:

1. sets up its own world in a temporary SQLite database (or ``--database-url``) and media
   folder: ``migrate``, the test geography, parts 1 and 2 filled, and ten projects taken
   through the services from selected to reported, with twenty camera-sized photos (2400 ×
   1800 JPEG), as the issue's fixture asks;
2. builds the book N times, each the way a preview or a submission does: ``book_build``
   (the queries) then ``render_pdf`` (photos scaled, two Chromium prints for the contents'
   page numbers); and with ``--docx`` the DOCX too;
3. prints p50 / p95 / max of the wall time per build, and peak memory: this Python process's
   RSS before the builds (a fresh process with only Django loaded, as a server's) and its
   peak during them
   (``VmHWM``, reset with ``/proc/self/clear_refs`` just before the first build); and the
   Chromium process tree's peak, sampled every 10 ms from ``/proc`` as the sum of PSS
   (proportional set size: shared pages counted once), and as the sum of RSS for comparison.

The first build scales the photos and caches them (``reports.pdf.scaled_photo``); later
builds of the same district reuse them. ``--cold`` clears that cache before every build.
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            text = (task / "children").read_text().split()
            for child in map(int, text):
                found.append(child)
                found.extend(_children(child))
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        pass
    return found


def _memory_kb(pid: int) -> tuple[int, int]:
    """(PSS, RSS) of one process in KiB, 0 if it is gone."""
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return 0, 0
    pss = rss = 0
    for line in text.splitlines():
        if line.startswith("Pss:"):
            pss = int(line.split()[1])
        elif line.startswith("Rss:"):
            rss = int(line.split()[1])
    return pss, rss


class TreeSampler(threading.Thread):
    """Peak PSS and RSS summed over this process's descendants (the Chromium processes)."""

    def __init__(self, root: int) -> None:
        super().__init__(daemon=True)
        self.root = root
        self.peak_pss = 0
        self.peak_rss = 0
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.is_set():
            pss = rss = 0
            for child in _children(self.root):
                p, r = _memory_kb(child)
                pss += p
                rss += r
            self.peak_pss = max(self.peak_pss, pss)
            self.peak_rss = max(self.peak_rss, rss)
            time.sleep(0.01)

    def stop(self) -> None:
        self._halt.set()
        self.join()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--docx", action="store_true", help="also time the DOCX")
    parser.add_argument("--database-url", default="")
    parser.add_argument("--cold", action="store_true", help="scale every photo again on every build")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        measure(args)
        return

    scratch = Path(tempfile.mkdtemp(prefix="rolemodel-bench-report-"))
    os.environ["DATABASE_URL"] = args.database_url or f"sqlite:///{scratch / 'bench.sqlite3'}"
    os.environ["MEDIA_ROOT"] = str(scratch / "media")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.pop("REDIS_URL", None)
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("migrate", verbosity=0)

    from tests import factories as f
    from tests.reports.conftest import fill_parts, reported_project
    from workflow.models import Role

    world: Any = type("World", (), {})()
    for key, value in f.geography().items():
        setattr(world, key, value)
    world.edition = f.active_edition()
    world.officer = f.user_with("officer", Role.DISTRICT_OFFICER, world.d1)
    world.chief = f.user_with("chief", Role.DISTRICT_CHIEF, world.d1)
    world.inspector = f.user_with("inspector", Role.REGIONAL_INSPECTOR, world.region)
    setup_started = time.perf_counter()
    fill_parts(world)
    for index in range(1, 11):
        reported_project(world, index, photos=2)
    print(f"world ready in {time.perf_counter() - setup_started:.1f} s (10 projects, 20 photos) in {scratch}")
    # The builds run in a fresh process, like a server's: only Django loaded, no world in memory.
    command = [sys.executable, __file__, "--worker", "--runs", str(args.runs)]
    command += ["--docx"] if args.docx else []
    command += ["--cold"] if args.cold else []
    worker_env = {**os.environ, "DEBUG": "0", "SECRET_KEY": secrets.token_urlsafe(40)}  # as in production
    worker = subprocess.Popen(command, env=worker_env)  # noqa: S603 - our own script
    # Chromium's memory is sampled from here, not in the worker, so the sampling thread's own
    # allocations do not count against the worker.
    sampler = TreeSampler(worker.pid)
    sampler.start()
    if worker.wait() != 0:
        raise SystemExit(worker.returncode)
    sampler.stop()
    print(
        f"peak memory, Chromium process tree: PSS {sampler.peak_pss / 1024:.0f} MB "
        f"(RSS summed {sampler.peak_rss / 1024:.0f} MB)"
    )


def measure(args: argparse.Namespace) -> None:
    import django

    django.setup()
    from django.utils import translation

    from reports.book import book_build
    from reports.docx import render_docx
    from reports.pdf import render_pdf
    from workflow.models import District, Edition

    district = District.objects.select_related("province").get(code="5001")
    edition = Edition.objects.get(is_active=True)

    from django.core.files.storage import default_storage

    from reports.pdf import PHOTO_CACHE

    def status(field: str) -> float:
        for row in Path("/proc/self/status").read_text().splitlines():
            if row.startswith(field + ":"):
                return int(row.split()[1]) / 1024
        return 0.0

    def clear_cache() -> None:
        import shutil

        shutil.rmtree(Path(default_storage.path(PHOTO_CACHE)), ignore_errors=True)

    baseline_mb = status("VmRSS")
    Path("/proc/self/clear_refs").write_text("5")  # reset VmHWM to the current RSS
    pdf_times: list[float] = []
    docx_times: list[float] = []
    pages = size = 0
    with translation.override("th"):
        for _ in range(args.runs):
            if args.cold:
                clear_cache()
            started = time.perf_counter()
            book = book_build(district=district, edition=edition, draft=False)
            rendered = render_pdf(book)
            pdf_times.append(time.perf_counter() - started)
            pages, size = rendered.pages, len(rendered.content)
            if args.docx:
                started = time.perf_counter()
                docx = render_docx(book_build(district=district, edition=edition, draft=False))
                docx_times.append(time.perf_counter() - started)
                docx_size = len(docx)
    python_peak_mb = status("VmHWM")

    def line(name: str, values: list[float]) -> str:
        return (
            f"{name}: runs {len(values)}, p50 {statistics.median(values):.2f} s, "
            f"p95 {percentile(values, 0.95):.2f} s, max {max(values):.2f} s"
        )

    print(line("PDF build (queries + photos + 2 Chromium prints)", pdf_times))
    print(f"PDF: {pages} pages, {size / 1024 / 1024:.1f} MB")
    if docx_times:
        print(line("DOCX build", docx_times))
        print(f"DOCX: {docx_size / 1024 / 1024:.1f} MB")
    print(
        f"memory, this Python process: {baseline_mb:.0f} MB before the builds, peak {python_peak_mb:.0f} MB "
        f"during them (+{python_peak_mb - baseline_mb:.0f} MB)"
    )
    sys.stdout.flush()


if __name__ == "__main__":
    main()
