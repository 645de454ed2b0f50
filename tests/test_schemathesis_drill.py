"""Schemathesis drill (issue 12): every operation of ``/api/schema/``, as a user of each role.

The schema is read from the WSGI application (``config.wsgi``) as a client reads it, and every
request goes to that application in this process (no server, no network). The data set is the
demo's (``workflow.demo.seed`` on the small geography): a project in every state in Mueang
Chiang Mai (5001), a submitted district with its book and letter in Chom Thong (5002), tasks,
notices, disbursements, parts 1 and 2. It is made once for the module inside a transaction;
each test runs in a savepoint rolled back after it, so what one operation changes does not
leak into the next.

Each role signs in through ``/api/v1/auth/token/`` and sends its token on every case. Generated
path parameters are mostly swapped for the data set's own ids and codes (positive cases only),
so that objects in and out of the user's areas are hit, not only 404s.

Checks on every answer: no 5xx; the status is documented for the operation; the body and the
``Content-Type`` match the schema; invalid input (negative cases) is refused; and every 4xx is
``application/problem+json`` with ``type``, ``title``, ``status`` (the answer's) and a ``code``.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
import schemathesis
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis import checks as st_checks

from config.wsgi import application
from workflow.api.schema import PROBLEM_MEDIA_TYPE

# role -> the demo user who holds it (README: the demo logins)
ROLES = {
    "officer": "officer",  # district officer, 5001
    "chief": "chief",  # district chief, 5001
    "provincial": "provincial",  # provincial officer, 50
    "inspector": "inspector",  # regional inspector, R15
    "planner": "planner",  # central planner, TH
    "auditor": "auditor",  # auditor, TH
    "admin": "admin",  # admin, TH
}
DEMO_PASSWORD = "rolemodel-demo"
MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "20"))  # per operation and role
# The coverage phase (every boundary and negation of every parameter, ~75 more cases per
# operation and role: 32,000 in all, about 4 minutes) runs with SCHEMATHESIS_COVERAGE=1.
DEEP = os.environ.get("SCHEMATHESIS_COVERAGE") == "1"
IN_CI = bool(os.environ.get("CI"))

schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)
# Every case carries the role's token; no generated Authorization header or session cookie.
schema.config.generation.update(with_security_parameters=False)
schema.config.phases.coverage.enabled = DEEP

# Filled by the data set: ids and codes by "path prefix{parameter}" or by parameter name.
KNOWN: dict[str, list[Any]] = {}
# What the drill did: cases per role, operations, and each answer's status.
CASES: Counter[str] = Counter()
OPERATIONS: set[str] = set()
STATUSES: Counter[int] = Counter()

CODE = re.compile(r"^[a-z][a-z0-9_]*$")


def problem_json(ctx: Any, response: Any, case: Any) -> bool | None:
    """Every 4xx is problem+json with ``type``, ``title``, ``status`` and a stable ``code``."""
    if not 400 <= response.status_code < 500:
        return None
    content_type = response.headers.get("content-type", [""])
    content_type = content_type[0] if isinstance(content_type, list) else content_type
    assert content_type.split(";")[0].strip() == PROBLEM_MEDIA_TYPE, (
        f"{response.status_code} answered as {content_type!r}, not {PROBLEM_MEDIA_TYPE}"
    )
    body = response.json()
    assert isinstance(body, dict), body
    missing = [key for key in ("type", "title", "status", "code") if key not in body]
    assert not missing, f"problem without {missing}: {body}"
    assert body["status"] == response.status_code, body
    assert CODE.match(str(body["code"])), f"code {body['code']!r} is not a stable code"
    assert body["type"] == f"urn:rolemodel:problem:{body['code']}", body
    return True


CHECKS = [
    st_checks.not_a_server_error,
    st_checks.status_code_conformance,
    st_checks.content_type_conformance,
    st_checks.response_schema_conformance,
    st_checks.response_headers_conformance,
    st_checks.negative_data_rejection,
    problem_json,
]


def _known(path: str, name: str) -> list[Any]:
    return KNOWN.get(f"{path.split('{')[0]}{{{name}}}") or KNOWN.get(name) or []


def _choices(path: str, values: dict[str, Any] | None) -> dict[str, Any]:
    return {
        name: st.sampled_from([value, *known]) if (known := _known(path, name)) else st.just(value)
        for name, value in (values or {}).items()
    }


@schema.hook
def flatmap_case(context: Any, case: Any) -> Any:
    """A positive case's path and query parameters: as generated, or the data set's own."""
    negative = case.meta is not None and case.meta.generation.mode != GenerationMode.POSITIVE
    if negative or not (case.path_parameters or case.query):
        return st.just(case)
    path = context.operation.path

    def with_values(values: tuple[dict[str, Any], dict[str, Any]]) -> Any:
        if case.path_parameters:
            case.path_parameters = values[0]
        if case.query:
            case.query = values[1]
        return case

    return st.tuples(
        st.fixed_dictionaries(_choices(path, case.path_parameters)),
        st.fixed_dictionaries(_choices(path, case.query)),
    ).map(with_values)


def _token(username: str) -> str:
    from django.test import Client

    answer = Client().post(
        "/api/v1/auth/token/",
        {"username": username, "password": DEMO_PASSWORD},
        content_type="application/json",
    )
    assert answer.status_code == 200, answer.content
    return str(answer.json()["token"])


@pytest.fixture(scope="module")
def dataset(
    django_db_setup: Any, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SimpleNamespace]:
    """The demo data, made once in a transaction that is rolled back after the module."""
    from django.test import TestCase, override_settings
    from viewflow.workflow.models import Task

    from notifications.models import Notification
    from workflow.demo.seed import demo_seed
    from workflow.models import DistrictSubmission, Edition, Project
    from workflow.transitions import PROJECT_ACTIONS

    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            cache.clear()
            geography = tmp_path_factory.mktemp("no-country")  # the small demo geography
            with override_settings(THAI_ADMIN_DATA_DIR=geography):
                with TestCase.captureOnCommitCallbacks(execute=True):  # notices are made on commit
                    demo_seed()
            KNOWN.update(
                {
                    "/api/v1/projects/{id}": list(Project.objects.values_list("pk", flat=True)),
                    "/api/v1/tasks/{id}": list(Task.objects.values_list("pk", flat=True)),
                    "/api/v1/notifications/{id}": list(Notification.objects.values_list("pk", flat=True)),
                    "/api/v1/submissions/{id}": list(DistrictSubmission.objects.values_list("pk", flat=True)),
                    "/api/v1/editions/{id}": list(Edition.objects.values_list("pk", flat=True)),
                    "code": ["5001", "5002", "5101"],
                    "name": list(PROJECT_ACTIONS),
                    # query parameters
                    "district": ["5001", "5002", "5101"],
                    "province": ["50", "51"],
                    "edition": ["2570"],
                    "page": [1],
                    "state": ["selected", "approved", "reported", "submitted"],
                    "project": list(Project.objects.values_list("pk", flat=True)),
                }
            )
            tokens = {role: _token(username) for role, username in ROLES.items()}
            yield SimpleNamespace(tokens=tokens)
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            KNOWN.clear()
            cache.clear()


@pytest.fixture
def in_test_transaction(db: Any) -> Iterator[None]:
    """The WSGI handler closes the connection at the end of each request, as a server would;
    here it must keep it, with the test's transaction open. The throttles start afresh."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    cache.clear()
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
        cache.clear()


@pytest.fixture(scope="module", autouse=True)
def _summary(request: pytest.FixtureRequest) -> Iterator[None]:
    """The counts for docs/reliability.md, printed at the end of the module."""
    yield
    if not CASES:
        return
    lines = [
        f"schemathesis drill: {len(OPERATIONS)} operations, {sum(CASES.values())} cases",
        "  per role: " + ", ".join(f"{role} {CASES[role]}" for role in ROLES if role in CASES),
        "  answers: " + ", ".join(f"{status}: {count}" for status, count in sorted(STATUSES.items())),
    ]
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if capture is None:  # run with -p no:capture
        print("\n" + "\n".join(lines))
        return
    with capture.global_and_fixture_disabled():
        print("\n" + "\n".join(lines))


def test_every_operation_documents_its_problem_answers() -> None:
    """Each operation lists its errors with the problem body (a view without ``ProblemAutoSchema``
    fails here even when no generated case happens to meet an error)."""
    operations = [
        (f"{method.upper()} {path}", operation)
        for path, item in schema.raw_schema["paths"].items()
        for method, operation in item.items()
        if method in ("get", "post", "put", "patch", "delete")
    ]
    assert len(operations) >= 50
    for label, operation in operations:
        responses = operation["responses"]
        signed_in = label != "POST /api/v1/auth/token/"
        expected = {"503", *(("401", "403") if signed_in else ("400", "429"))}
        assert expected <= set(responses), (label, sorted(responses))
        for status, response in responses.items():
            if status >= "400":
                content = response.get("content", {})
                assert list(content) == [PROBLEM_MEDIA_TYPE], (label, status, list(content))
                assert content[PROBLEM_MEDIA_TYPE]["schema"] == {"$ref": "#/components/schemas/Problem"}


@pytest.mark.slow
@pytest.mark.parametrize("role", list(ROLES))
@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    derandomize=IN_CI,  # the same cases on every CI run
    deadline=None,
    database=None,  # nothing written to .hypothesis/
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_answers_each_role_as_the_schema_says(
    case: Any, role: str, dataset: SimpleNamespace, in_test_transaction: None
) -> None:
    CASES[role] += 1
    OPERATIONS.add(case.operation.label)
    response = case.call_and_validate(
        headers={"Authorization": f"Token {dataset.tokens[role]}"}, checks=CHECKS
    )
    STATUSES[response.status_code] += 1
