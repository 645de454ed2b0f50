#!/usr/bin/env python
"""Report book rendering under load (issue 11, part 5): ``.venv/bin/python -m bench.book``.

What it measures, against the issue's targets:

1. a 30-project district book (60 camera-sized photos, parts 1 and 2 filled): the time to
   print its PDF (``book_build`` + ``render_pdf``: one Chromium, two prints), and the peak
   memory of the whole process tree while it does (the Python process plus every Chromium
   process, PSS summed: shared pages counted once) — targets ≤ 5 s and ≤ 600 MB;
2. the same district's draft asked for again, unchanged: the request served from the
   drafts' cache (``GET /api/v1/districts/5001/report-book.pdf`` in-process, and the service
   call alone) — target ≤ 50 ms;
3. 20 concurrent draft requests for 20 districts (one thread each, all released at once by a
   barrier), with the drafts' cache empty: the most Chromiums running at once, counted twice
   — by the render function's own counter and from ``/proc`` (browser processes, sampled
   every 10 ms) — target: never more than ``REPORT_BOOK_MAX_RENDERS``; and how many requests
   were served (200) or told to come back (503 ``render_busy`` with ``Retry-After``);
4. the submission of the 30-project district: total time, and how long the write lock is
   held (the two passes under the lock; Chromium prints between them with no lock held).

The world is built in a temporary SQLite database and media folder; the measurements run in a
fresh process (a server's: only Django loaded) while this process samples its memory.
"""

from __future__ import annotations

import argparse
import json
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
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.report import _children, _memory_kb, percentile  # noqa: E402

PROJECTS = 30
DISTRICTS = 20


def _browsers(root: int) -> int:
    """Chromium browsers started by ``root``: its direct children running chromium (each
    browser's own renderer, zygote and utility processes are its children, not ``root``'s)."""
    count = 0
    try:
        for task in Path(f"/proc/{root}/task").iterdir():
            for child in (task / "children").read_text().split():
                try:
                    command = Path(f"/proc/{child}/cmdline").read_bytes()
                except OSError:
                    continue
                count += b"chrom" in command.split(b"\0")[0]
    except OSError:
        pass
    return count


class Sampler(threading.Thread):
    """Peak PSS/RSS of ``root`` and its descendants, and the most browsers alive at once."""

    def __init__(self, root: int) -> None:
        super().__init__(daemon=True)
        self.root = root
        self.peak_pss = self.peak_rss = self.peak_browsers = self.peak_root_pss = 0
        self._halt = threading.Event()

    def reset(self) -> None:
        self.peak_pss = self.peak_rss = self.peak_browsers = self.peak_root_pss = 0

    def run(self) -> None:
        while not self._halt.is_set():
            pids = [self.root, *_children(self.root)]
            pss = rss = 0
            for pid in pids:
                p, r = _memory_kb(pid)
                pss += p
                rss += r
            self.peak_root_pss = max(self.peak_root_pss, _memory_kb(self.root)[0])
            browsers = _browsers(self.root)
            self.peak_pss = max(self.peak_pss, pss)
            self.peak_rss = max(self.peak_rss, rss)
            self.peak_browsers = max(self.peak_browsers, browsers)
            time.sleep(0.01)

    def stop(self) -> None:
        self._halt.set()
        self.join()


def build_world(projects: int = PROJECTS) -> None:
    """District 5001 with 30 reported projects (60 photos); 19 more districts with a project each."""
    from decimal import Decimal

    from tests import factories as f
    from tests.reports.conftest import fill_parts, reported_project
    from workflow.models import District, Role, Subdistrict

    world: Any = type("World", (), {})()
    for key, value in f.geography().items():
        setattr(world, key, value)
    world.edition = f.active_edition(cap="1000000.00")
    world.officer = f.user_with("officer", Role.DISTRICT_OFFICER, world.d1)
    world.chief = f.user_with("chief", Role.DISTRICT_CHIEF, world.d1)
    world.inspector = f.user_with("inspector", Role.REGIONAL_INSPECTOR, world.region)
    f.user_with("planner", Role.CENTRAL_PLANNER)
    fill_parts(world)
    f.disburse(world.d1, "1000000.00")
    for index in range(1, projects + 1):
        reported_project(world, index, photos=2)
    districts = [world.d2]
    for n in range(DISTRICTS - 1 - 1):
        code = f"50{n + 10:02d}"
        districts.append(
            District.objects.create(code=code, province=world.p50, name_th=f"อำเภอทดสอบ {code}", name_en=code)
        )
    f.designate(world.edition, districts)
    for district in districts:
        sub = Subdistrict.objects.filter(district=district).first() or Subdistrict.objects.create(
            code=f"{district.code}01", district=district, name_th=f"ตำบล {district.code}01", name_en="t"
        )
        officer = f.user_with(f"officer_{district.code}", Role.DISTRICT_OFFICER, district)
        f.make_project(officer, f.bank_entry(sub, f"BK-{district.code}"), str(Decimal("50000.00")))


def measure(runs: int, cached_runs: int) -> dict[str, Any]:
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client

    from reports import pdf, render
    from reports.book import book_build
    from workflow.models import District, Edition
    from workflow.services import projects as svc

    User = get_user_model()

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"  # the book is mailed on submit
    results: dict[str, Any] = {"max_renders": render.max_renders(), "wait": render.render_wait()}
    edition = Edition.objects.get(is_active=True)
    d1 = District.objects.select_related("province").get(code="5001")

    # 1. The 30-project book, printed (no cache).
    times: list[float] = []
    pages = size = 0
    for _run in range(runs):
        started = time.perf_counter()
        rendered = pdf.render_pdf(book_build(district=d1, edition=edition, draft=True))
        times.append(time.perf_counter() - started)
        pages, size = rendered.pages, len(rendered.content)
    results["pdf"] = {"times": times, "pages": pages, "bytes": size}
    print("phase pdf done", flush=True)
    input()  # the parent reads the memory peak of this phase, then lets us go on

    # 2. The same draft, unchanged: from the cache.
    planner = User.objects.get(username="planner")
    client = Client()
    client.force_login(planner)
    first = client.get("/api/v1/districts/5001/report-book.pdf", secure=True)
    assert first.status_code == 200, first.status_code
    http: list[float] = []
    http_cpu: list[float] = []  # this thread's CPU time: what the request costs on an idle core
    for _run in range(cached_runs):
        started, cpu = time.perf_counter(), time.thread_time()
        again = client.get("/api/v1/districts/5001/report-book.pdf", secure=True)
        http.append(time.perf_counter() - started)
        http_cpu.append(time.thread_time() - cpu)
        assert again.content == first.content
    service: list[float] = []
    parts: dict[str, list[float]] = {"book_build": [], "compose (the key)": [], "cache read": []}
    for _run in range(cached_runs):
        started = time.perf_counter()
        book = book_build(district=d1, edition=edition, draft=True)
        built = time.perf_counter()
        keyed = render.draft_key(book)
        composed = time.perf_counter()
        assert render.cached(keyed.key) is not None
        done = time.perf_counter()
        service.append(done - started)
        parts["book_build"].append(built - started)
        parts["compose (the key)"].append(composed - built)
        parts["cache read"].append(done - composed)
    results["cached"] = {"http": http, "http_cpu": http_cpu, "service": service, "parts": parts}
    print("phase cached done", flush=True)
    input()

    # 3. 20 districts' drafts asked for at once, the cache empty: with the default wait, then
    # with a wait long enough for every request to be served.
    import shutil

    codes = sorted(District.objects.filter(province_id="50").values_list("code", flat=True))[:DISTRICTS]
    lock = threading.Lock()
    active = peak = 0
    real_open = pdf.open_page

    class Counted:
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            self.inner = real_open(*args, **kwargs)

        def __enter__(self) -> Any:
            nonlocal active, peak
            with lock:
                active += 1
                peak = max(peak, active)
            try:
                return self.inner.__enter__()
            except BaseException:
                with lock:
                    active -= 1
                raise

        def __exit__(self, *exc: Any) -> Any:
            nonlocal active
            try:
                return self.inner.__exit__(*exc)
            finally:
                with lock:
                    active -= 1

    pdf.open_page = Counted  # type: ignore[assignment]
    for phase, wait in (("concurrent", render.render_wait()), ("concurrent_long_wait", 120.0)):
        settings.REPORT_BOOK_RENDER_WAIT = wait
        shutil.rmtree(render.cache_folder(), ignore_errors=True)
        peak = 0
        barrier = threading.Barrier(len(codes))
        outcomes: list[tuple[str, int, float, str]] = []

        def ask(code: str, barrier: threading.Barrier = barrier, outcomes: list[Any] = outcomes) -> None:
            from django.db import connection

            own = Client()
            own.force_login(planner)
            barrier.wait()
            began = time.perf_counter()
            response = own.get(f"/api/v1/districts/{code}/report-book.pdf", secure=True)
            elapsed = time.perf_counter() - began
            with lock:
                outcomes.append((code, response.status_code, elapsed, response.get("Retry-After", "")))
            connection.close()

        threads = [threading.Thread(target=ask, args=(code,)) for code in codes]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        results[phase] = {
            "districts": len(codes),
            "wait": wait,
            "wall": time.perf_counter() - started,
            "peak_renders": peak,
            "outcomes": outcomes,
        }
        print(f"phase {phase} done", flush=True)
        input()
    pdf.open_page = real_open
    settings.REPORT_BOOK_RENDER_WAIT = results["wait"]

    # 4. The 30-project district submitted: total time, and how long each pass holds the write
    # lock (SQLite BEGIN IMMEDIATE: from entering its transaction to its commit).
    from django.db import transaction

    locked: list[float] = []
    raw_submit = svc.district_submit.__wrapped__.__wrapped__  # type: ignore[attr-defined]

    def timed(*args: Any, **kwargs: Any) -> Any:
        began = time.perf_counter()
        committed = False

        def mark() -> None:
            nonlocal committed
            committed = True
            locked.append(time.perf_counter() - began)

        try:
            with transaction.atomic():
                transaction.on_commit(mark)  # the first callback: runs right after the commit
                return raw_submit(*args, **kwargs)
        finally:
            if not committed:  # rolled back (the first pass asks for the print)
                locked.append(time.perf_counter() - began)

    wrapper = svc._documents_made_outside_the_lock(timed)
    chief = User.objects.get(username="chief")
    assert not transaction.get_connection().in_atomic_block
    started = time.perf_counter()
    submission = wrapper(district="5001", acting_user=chief, comment="")
    results["submit"] = {
        "total": time.perf_counter() - started,
        "passes_under_lock": locked,
        "pages": submission.book.pages,
        "max_pages": settings.REPORT_BOOK_MAX_PAGES,
    }
    print("phase submit done", flush=True)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=5, help="prints of the 30-project book")
    parser.add_argument("--cached-runs", type=int, default=30)
    parser.add_argument(
        "--projects", type=int, default=PROJECTS, help="projects of district 5001 (smoke: fewer)"
    )
    parser.add_argument("--json", default="", help="write the figures to this file")
    parser.add_argument("--worker", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        figures = measure(args.runs, args.cached_runs)
        Path(args.worker).write_text(json.dumps(figures))
        return

    scratch = Path(tempfile.mkdtemp(prefix="rolemodel-bench-book-"))
    os.environ["DATABASE_URL"] = f"sqlite:///{scratch / 'bench.sqlite3'}"
    os.environ["MEDIA_ROOT"] = str(scratch / "media")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.pop("REDIS_URL", None)
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("migrate", verbosity=0)
    began = time.perf_counter()
    build_world(args.projects)
    print(f"world ready in {time.perf_counter() - began:.0f} s in {scratch}", flush=True)

    out = scratch / "figures.json"
    command = [sys.executable, "-m", "bench.book", "--worker", str(out)]
    command += ["--runs", str(args.runs), "--cached-runs", str(args.cached_runs)]
    env = {**os.environ, "DEBUG": "0", "SECRET_KEY": secrets.token_urlsafe(40)}
    worker = subprocess.Popen(  # noqa: S603 - our own script
        command, env=env, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert worker.stdin is not None and worker.stdout is not None
    sampler = Sampler(worker.pid)
    sampler.start()
    memory: dict[str, dict[str, float]] = {}
    for line in worker.stdout:
        print("  worker:", line.rstrip(), flush=True)
        if line.startswith("phase "):
            phase = line.split()[1]
            memory[phase] = {
                "pss_mb": sampler.peak_pss / 1024,
                "rss_mb": sampler.peak_rss / 1024,
                "browsers": sampler.peak_browsers,
                "python_pss_mb": sampler.peak_root_pss / 1024,
            }
            sampler.reset()
            if phase != "submit":
                worker.stdin.write("\n")
                worker.stdin.flush()
    if worker.wait() != 0:
        raise SystemExit(worker.returncode)
    sampler.stop()
    figures = json.loads(out.read_text())
    figures["memory"] = memory
    report(figures)
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2))


def report(figures: dict[str, Any]) -> None:
    def ms(values: list[float]) -> str:
        return (
            f"p50 {statistics.median(values) * 1000:.0f} ms, p95 {percentile(values, 0.95) * 1000:.0f} ms, "
            f"max {max(values) * 1000:.0f} ms ({len(values)} runs)"
        )

    pdf = figures["pdf"]
    mem = figures["memory"]
    print()
    print(f"REPORT_BOOK_MAX_RENDERS={figures['max_renders']}, REPORT_BOOK_RENDER_WAIT={figures['wait']} s")
    print(
        f"1. 30-project book PDF: {ms(pdf['times'])}; {pdf['pages']} pages, {pdf['bytes'] / 1e6:.1f} MB; "
        f"peak process tree PSS {mem['pdf']['pss_mb']:.0f} MB (RSS summed {mem['pdf']['rss_mb']:.0f} MB; "
        f"the Python process alone {mem['pdf']['python_pss_mb']:.0f} MB)"
    )
    print(f"2. cached draft, HTTP: {ms(figures['cached']['http'])}")
    print(f"   cached draft, HTTP, CPU time of the request: {ms(figures['cached']['http_cpu'])}")
    print(f"   cached draft, service: {ms(figures['cached']['service'])}")
    for name, values in figures["cached"]["parts"].items():
        print(f"     {name}: p50 {statistics.median(values) * 1000:.0f} ms")
    for number, phase in (("3.", "concurrent"), ("  ", "concurrent_long_wait")):
        concurrent = figures[phase]
        codes = [o[1] for o in concurrent["outcomes"]]
        served = [o[2] for o in concurrent["outcomes"] if o[1] == 200]
        busy = [o for o in concurrent["outcomes"] if o[1] == 503]
        print(
            f"{number} {concurrent['districts']} concurrent drafts (wait {concurrent['wait']:.0f} s): most renders "
            f"at once {concurrent['peak_renders']} (counter), {mem[phase]['browsers']} browsers (/proc); "
            f"{codes.count(200)} served (slowest {max(served, default=0):.1f} s), {len(busy)} × 503 "
            f"(Retry-After {sorted({o[3] for o in busy})}); wall {concurrent['wall']:.1f} s; "
            f"peak tree PSS {mem[phase]['pss_mb']:.0f} MB"
        )
    submit = figures["submit"]
    print(
        f"4. submission of the 30-project district: {submit['total']:.2f} s in all, passes under the lock "
        f"{', '.join(f'{t * 1000:.0f} ms' for t in submit['passes_under_lock'])}; {submit['pages']} pages "
        f"(budget {submit['max_pages']}); peak tree PSS {mem['submit']['pss_mb']:.0f} MB"
    )


if __name__ == "__main__":
    main()
