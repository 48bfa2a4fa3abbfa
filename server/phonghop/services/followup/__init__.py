"""Follow-up of conclusions (theo dõi, đôn đốc): every conclusion point with a lead unit
becomes a task when a notice of its meeting is issued; the lead unit reports on it and the
office follows it to done.

* **Creation.** :func:`create_tasks` is called by ``services.notices.issue`` in the issuing
  transaction, after the notice has its number: the notice and its tasks commit together
  or not at all (an event consumer would run after the commit, and a crash between the two
  would leave an issued notice without its tasks). The points are read from the meeting's
  conclusion records, which are frozen once a notice is issued; a point is identified by
  (meeting, agenda item, point number), so a second notice of the same meeting (a
  correction) adds no second task for a point already followed.
* **States.** ``open`` → ``in_progress`` → ``done``; ``open`` or ``in_progress`` →
  ``cancelled``; ``done`` can be reopened (→ ``in_progress``), ``cancelled`` restored (→
  ``open``). Every change, and every progress note without a change, is a
  :class:`~phonghop.storage.models.TaskUpdate` row (who, when, from, to, note, kind).
* **Reporting.** The lead unit's users report progress (a note, files attached) and report
  the task done (báo cáo hoàn thành); ``done_on`` is the office's date of that report. The
  office then accepts it (the task stays done, ``accepted_at``/``accepted_by`` set; until
  then it is "awaiting acceptance") or reopens it with a reason (→ ``in_progress``; the
  unit's users are notified). Attachments are PDF, DOCX, XLSX, JPEG or PNG, recognised by
  their first bytes (and, for DOCX/XLSX, the parts inside the ZIP), never by the name alone.
* **Status shown** (:func:`status_of`): not started, in progress, overdue, done on time,
  done late, cancelled. A task is late when its deadline has passed (the deadline day itself
  is still on time) and it is neither done nor cancelled; done after the deadline is done
  late. "Today" is the office's date (``settings.timezone``), given by the caller.
* **Units.** The body's units (đơn vị), kept by its administrators. A task's ``unit_id``
  is the unit whose name, or else whose short name (when only one unit has it), equals the
  lead unit as written, ignoring case and tone-mark placement (``compare_key``). It is
  derived: set when the task is made, and worked out again for the body's tasks whenever
  a unit is added, renamed or removed. The report groups by unit where there is one, by
  the written name's key otherwise.
* **Who.** The body's office staff and administrators see and manage all its tasks. Unit
  staff (a user with a unit) see the tasks their unit leads (and report on them) and,
  read-only, those where their unit cooperates; nothing else of follow-up. The office of a
  superior body (``IssuingBody.parent_id``, at any depth) sees the report and the task list
  of the bodies under it, read-only, and nothing else of theirs. Any other task, unit,
  attachment or body does not exist for the actor (404 ``task_not_found``...).
"""

from __future__ import annotations

from phonghop.domain.tasks import (
    MAX_ATTACHMENTS,
    MAX_FILENAME,
    MAX_NOTE,
    MAX_UNIT_NAME,
    MAX_UNIT_SHORT,
    STATUSES,
    TRANSITIONS,
    status_of,
)
from phonghop.services.followup.attachments import (
    ATTACHMENT_TYPES,
    SNIFF_BYTES,
    add_attachment,
    attachment_blob_in_use,
    attachment_for_download,
    attachment_kind,
    check_can_attach,
    sniff_attachment,
)
from phonghop.services.followup.reminders import (
    due_reminders,
)
from phonghop.services.followup.reports import (
    report,
    report_table,
)
from phonghop.services.followup.tasks import (
    TaskFilter,
    accept_task,
    create_tasks,
    get_task,
    list_tasks,
    reopen_task,
    report_progress,
    subordinate_bodies,
    update_task,
)
from phonghop.services.followup.units import (
    create_unit,
    delete_unit,
    list_units,
    update_unit,
)

__all__ = [
    "ATTACHMENT_TYPES",
    "MAX_ATTACHMENTS",
    "MAX_FILENAME",
    "MAX_NOTE",
    "MAX_UNIT_NAME",
    "MAX_UNIT_SHORT",
    "SNIFF_BYTES",
    "STATUSES",
    "TRANSITIONS",
    "TaskFilter",
    "accept_task",
    "add_attachment",
    "attachment_blob_in_use",
    "attachment_for_download",
    "attachment_kind",
    "check_can_attach",
    "create_tasks",
    "create_unit",
    "delete_unit",
    "due_reminders",
    "get_task",
    "list_tasks",
    "list_units",
    "reopen_task",
    "report",
    "report_progress",
    "report_table",
    "sniff_attachment",
    "status_of",
    "subordinate_bodies",
    "update_task",
    "update_unit",
]
