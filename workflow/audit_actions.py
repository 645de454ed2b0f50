"""The catalogue of audit actions: every code the trail can hold, with its label.

The codes are stored in ``AuditEvent.action`` as they are written here (existing rows, the
exports and the API's clients depend on them), so a member's value never changes; a new kind
of audited change is a new member. The labels are English msgids, Thai in the catalogue
(``locale/th``). ``action_label`` is what the audit page, the exports and the history API show;
a code the catalogue does not know (old data) shows as itself.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditAction(models.TextChoices):
    # A project's own changes and transitions (``workflow.services.projects``).
    CREATE = "create", _("Selected (created)")
    UPDATE = "update", _("Updated")
    APPROVE = "approve", _("Approved")
    RETURN = "return", _("Returned for revision")
    REJECT = "reject", _("Rejected")
    WITHDRAW = "withdraw", _("Withdrawn")
    RESUBMIT = "resubmit", _("Resubmitted")
    IMPLEMENT = "implement", _("Implementation recorded")
    MONITOR = "monitor", _("Monitored")
    REPORT = "report", _("Result reported")
    SUBMIT = "submit", _("Submitted")
    DISTRICT_SUBMIT = "district_submit", _("District report book submitted")
    COMMENT = "comment", _("Comment")
    EVIDENCE_ADD = "evidence_add", _("Evidence added")
    PROGRESS_ADD = "progress_add", _("Progress update posted")
    SUPERVISION_ADD = "supervision_add", _("Supervision note added")
    # The province's disbursement (``workflow.services.money``).
    DISBURSEMENT_RECORD = "disbursement_record", _("Disbursement recorded")
    # The report book (``reports``).
    SUBMISSION_ACKNOWLEDGE = "submission_acknowledge", _("Receipt of the report book acknowledged")
    PROFILE_UPDATE = "profile_update", _("District profile (part 1) saved")
    DRIVE_REPORT_UPDATE = "drive_report_update", _("Driving the project (part 2) saved")
    # Tasks (``approvals.services``) and their timers (``notifications.timers``).
    TASK_CLAIM = "task_claim", _("Task claimed")
    TASK_UNCLAIM = "task_unclaim", _("Task released")
    TASK_ASSIGN = "task_assign", _("Task assigned")
    REMINDER = "reminder", _("Reminder of a task falling due")
    ESCALATION = "escalation", _("Overdue task escalated to the superiors")
    PROGRESS_REMINDER = "progress_reminder", _("Reminder of a missing progress update")
    # Roles, editions, acting officials, imports and the admin site.
    ROLE_GRANT = "role_grant", _("Role granted")
    ROLE_REVOKE = "role_revoke", _("Role revoked")
    EDITION_CREATE = "edition_create", _("Edition created")
    EDITION_UPDATE = "edition_update", _("Edition changed")
    EDITION_DISTRICTS_REPLACE = "edition_districts_replace", _("Role Model districts designated")
    DELEGATION_CREATE = "delegation_create", _("Acting official named")
    DELEGATION_REVOKE = "delegation_revoke", _("Acting official revoked")
    GEOGRAPHY_IMPORT = "geography_import", _("Geography imported")
    REGIONS_IMPORT = "regions_import", _("Inspection regions imported")
    BANK_IMPORT = "bank_import", _("Project bank imported")
    ADMIN_CHANGE = "admin_change", _("Changed in the admin site")
    ADMIN_DELETE = "admin_delete", _("Deleted in the admin site")


_LABELS = dict(AuditAction.choices)


def action_label(code: str) -> str:
    """The label of ``code`` in the active language; an unknown code (old data) shows as itself."""
    label = _LABELS.get(code)
    return str(label) if label is not None else code
