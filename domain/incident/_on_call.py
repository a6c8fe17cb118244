"""Paging a level that targets on-call schedules: it waits until the workflow learns who is on call there.

``page_step`` leaves the question in ``IncidentState.awaiting_on_call``; the workflow asks the schedules it names
(``IncidentState.on_call_needed``), and ``record_on_call`` keeps the answers on the timeline and pages the level
with them.
"""

from __future__ import annotations

from datetime import datetime

from domain.incident._paging import page_step
from domain.incident._state import IncidentState
from domain.models import Status, as_utc
from domain.policy.schedules import OnCall


def waiting_for_on_call(state: IncidentState) -> bool:
    if state.awaiting_on_call is not None and state.status is not Status.TRIGGERED:
        state.awaiting_on_call = None  # acknowledged or resolved meanwhile: that page is no longer wanted
    return state.awaiting_on_call is not None


def record_on_call(state: IncidentState, answers: dict[str, OnCall], unknown: list[str], now: datetime) -> None:
    """Keep who is on call on the timeline, then page the waiting level with them.

    A schedule with nobody on call pages nobody; a level left with nobody at all pages the final owner.
    """
    question = state.awaiting_on_call
    if not waiting_for_on_call(state) or question is None:
        return
    if any(name not in answers and name not in unknown for name in question.schedules):
        return  # an answer to an earlier question: on_call_needed() asks again
    state.awaiting_on_call = None
    found = []
    for name in question.schedules:
        answer = answers.get(name) or OnCall(schedule=name, at=now, user=None)
        found.append(answer)
        until = f" until {as_utc(answer.until)}" if answer.until is not None else ""
        if name in unknown:
            state.record(now, "oncall.nobody", f"nobody on call in {name}: not in the catalog", schedule=name)
        elif answer.user is None:
            state.record(now, "oncall.nobody", f"nobody on call in {name}{until}", schedule=name)
        else:
            state.record(
                now,
                "oncall.resolved",
                f"on call in {name}: {answer.user} ({answer.decided_by}){until}",
                schedule=name,
                user=answer.user,
                decided_by=answer.decided_by,
            )
    page_step(state, question.index, now, question.due, question.by, on_call=found)
