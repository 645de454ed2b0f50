"""``workflow.sql`` prepares the values it writes the short way where Django's preparation would
return them unchanged: for every model and every stored row, the values are Django's own."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.db import connection

from tests import factories as f
from workflow import sql
from workflow.services import projects as svc


def _moving(field) -> bool:
    """A field whose value is made at each preparation (``auto_now``): compared by type only."""
    return bool(getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False))


@pytest.mark.django_db
def test_the_short_preparation_gives_djangos_values_for_every_model(world):
    project = f.make_project(world.officer, world.entry)
    svc.project_approve(project=project, acting_user=world.chief)
    checked = 0
    for model in apps.get_models():
        fields = sql._writable(model)
        for obj in model.objects.all()[:20]:
            for add in (True, False):
                kept = [f for f in fields if add or not f.primary_key]
                ours = [
                    prep(obj, fd, connection)
                    for prep, fd in zip(sql._preparers(model, add), kept, strict=True)
                ]
                django = [fd.get_db_prep_save(fd.pre_save(obj, add), connection) for fd in kept]
                for field, mine, theirs in zip(kept, ours, django, strict=True):
                    if _moving(field):
                        assert type(mine) is type(theirs), (model, field.name)
                    else:  # psycopg's Jsonb wrapper has no equality: compare what it wraps
                        assert (getattr(mine, "obj", mine), type(mine)) == (
                            getattr(theirs, "obj", theirs),
                            type(theirs),
                        ), (model, field.name)
            checked += 1
    assert checked > 50  # projects, lines, tasks, events, notices, users, areas...
    # And the short way is taken: a plain text column is read straight from the instance.
    assert sql._natural_types(project._meta.get_field("title")) == (str,)
    assert sql._natural_types(project._meta.get_field("created_at")) is None
