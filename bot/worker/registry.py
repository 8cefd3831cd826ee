"""Every job kind and the one handler that runs it: the worker's only dispatch table."""

from __future__ import annotations

from bot.core.events import JobKind
from bot.worker.comments import on_comment
from bot.worker.context import Handler
from bot.worker.gate import on_gate
from bot.worker.issues import on_installation, on_issue, sync_issue
from bot.worker.opening import on_open_issue
from bot.worker.prfeedback import on_pr_feedback
from bot.worker.runs import on_uploaded_run, on_workflow_run

HANDLERS: dict[str, Handler] = {
    JobKind.INSTALLATION.value: on_installation,
    JobKind.ISSUE.value: on_issue,
    JobKind.COMMENT.value: on_comment,
    JobKind.WORKFLOW_RUN.value: on_workflow_run,
    JobKind.SYNC_ISSUE.value: sync_issue,
    JobKind.UPLOADED_RUN.value: on_uploaded_run,
    JobKind.GATE.value: on_gate,
    JobKind.PR_FEEDBACK.value: on_pr_feedback,
    JobKind.OPEN_ISSUE.value: on_open_issue,
}
