"""Follow-ups (跟进记录) logged against customers, and tasks (任务) with due dates and assignees."""
