"""Failure drills (issue 12, items 4 and 6): scripts that need more than a minute, run by ``.ci/run``.

Each starts its own PostgreSQL cluster and Redis on free ports (never the shared ones), drives the
service, injects its faults, checks what must hold, prints its counts and exits non-zero when
anything did not hold. See ``docs/reliability.md``.
"""
