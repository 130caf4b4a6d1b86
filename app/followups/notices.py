"""The notification kinds follow-ups and tasks send (shown on everyone's preferences page)."""

from __future__ import annotations

from app.kit.enums import N_
from app.notifications.kinds import IN_APP, Kind, register_kind

FOLLOW_UP_DUE = register_kind(Kind("follow_up.due", N_("A planned follow-up is due"), "customers", (IN_APP,)))
TASK_DUE = register_kind(Kind("task.due", N_("A task is due"), "customers", (IN_APP,)))
TASK_ASSIGNED = register_kind(Kind("task.assigned", N_("A task was assigned to me"), "customers", (IN_APP,)))

# Msgids of the messages (parameters in %(name)s form).
FOLLOW_UP_DUE_TITLE = N_("Follow up with %(customer)s")
FOLLOW_UP_DUE_BODY = N_("You planned to follow up with %(customer)s at %(at)s.")
TASK_DUE_TITLE = N_("Task due: %(task)s")
TASK_ASSIGNED_TITLE = N_("%(who)s assigned you a task: %(task)s")
