"""E-mail per preference: immediately after commit, a daily Thai digest (idempotent), or never."""

from __future__ import annotations

import datetime

from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from notifications.models import Notification, NotificationPreference
from notifications.services import notify, preference_set
from tests import factories as f
from workflow.dates import format_date


def test_immediate_mode_sends_one_email_after_commit(world, mailoutbox, django_capture_on_commit_callbacks):
    preference_set(acting_user=world.chief, email_mode="immediate")
    with django_capture_on_commit_callbacks() as callbacks:
        project = f.make_project(world.officer, world.entry)
    assert mailoutbox == []  # nothing before commit

    for callback in callbacks:
        callback()
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    notice = Notification.objects.get(recipient=world.chief)
    assert mail.to == ["chief@example.org"]
    assert project.title in mail.subject and "\n" not in mail.subject
    assert notice.text_th in mail.body and notice.text_en in mail.body
    assert mail.body.index(notice.text_th) < mail.body.index(notice.text_en)  # English below
    assert "เมืองเชียงใหม่" in mail.body


def test_a_rolled_back_change_sends_no_email(world, mailoutbox, django_capture_on_commit_callbacks):
    preference_set(acting_user=world.chief, email_mode="immediate")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                f.make_project(world.officer, world.entry)
                raise RuntimeError("abort")
        except RuntimeError:
            pass
    assert callbacks == [] and mailoutbox == []


def test_digest_mode_waits_for_the_daily_digest(world, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        f.make_project(world.officer, world.entry)  # the chief (digest by default) is told
    assert mailoutbox == []

    call_command("send_digest")
    assert len(mailoutbox) == 1
    digest = mailoutbox[0]
    notice = Notification.objects.get(recipient=world.chief)
    assert digest.to == ["chief@example.org"]
    assert notice.text_th in digest.body and notice.text_en not in digest.body  # Thai only
    assert format_date(timezone.localdate(notice.created_at), "th") in digest.body  # BE date
    assert NotificationPreference.objects.get(user=world.chief).last_digest_at is not None

    call_command("send_digest")  # idempotent: nothing new, nothing sent
    assert len(mailoutbox) == 1


def test_the_next_digest_holds_only_what_is_new_and_unread(world, mailoutbox):
    old = notify(recipients=[world.chief], kind="reminder", project=None, text_th="เก่า", text_en="old")
    call_command("send_digest")
    assert len(mailoutbox) == 1 and "เก่า" in mailoutbox[0].body

    notify(recipients=[world.chief], kind="reminder", project=None, text_th="ใหม่", text_en="new")
    (read,) = notify(recipients=[world.chief], kind="reminder", project=None, text_th="อ่านแล้ว", text_en="r")
    Notification.objects.filter(pk=read.pk).update(read_at=timezone.now())
    call_command("send_digest")
    assert len(mailoutbox) == 2
    body = mailoutbox[1].body
    assert "ใหม่" in body and "เก่า" not in body and "อ่านแล้ว" not in body
    assert old[0].read_at is None


def test_one_digest_per_user(world, mailoutbox):
    for text in ("หนึ่ง", "สอง"):
        notify(
            recipients=[world.chief, world.officer], kind="reminder", project=None, text_th=text, text_en=text
        )
    call_command("send_digest")
    assert sorted(m.to[0] for m in mailoutbox) == ["chief@example.org", "officer@example.org"]
    assert all("หนึ่ง" in m.body and "สอง" in m.body for m in mailoutbox)


def test_off_sends_nothing_ever(world, mailoutbox, django_capture_on_commit_callbacks):
    preference_set(acting_user=world.chief, email_mode="off")
    with django_capture_on_commit_callbacks(execute=True):
        f.make_project(world.officer, world.entry)
    call_command("send_digest")
    assert Notification.objects.filter(recipient=world.chief).count() == 1  # still told in the app
    assert mailoutbox == []


def test_immediate_users_get_no_digest_of_the_same_notices(
    world, mailoutbox, django_capture_on_commit_callbacks
):
    preference_set(acting_user=world.chief, email_mode="immediate")
    with django_capture_on_commit_callbacks(execute=True):
        f.make_project(world.officer, world.entry)
    call_command("send_digest")
    assert len(mailoutbox) == 1  # the immediate one


def test_users_without_an_address_are_skipped(world, mailoutbox, django_capture_on_commit_callbacks):
    world.chief.email = ""
    world.chief.save(update_fields=["email"])
    preference_set(acting_user=world.chief, email_mode="immediate")
    with django_capture_on_commit_callbacks(execute=True):
        f.make_project(world.officer, world.entry)
    preference_set(acting_user=world.chief, email_mode="digest")
    call_command("send_digest")
    assert mailoutbox == []


def test_notices_from_before_the_last_digest_are_not_sent_again(world, mailoutbox):
    notify(recipients=[world.chief], kind="reminder", project=None, text_th="ก่อน", text_en="before")
    NotificationPreference.objects.create(
        user=world.chief, last_digest_at=timezone.now() + datetime.timedelta(minutes=1)
    )
    call_command("send_digest")
    assert mailoutbox == []  # created before the last digest: already sent then
