"""Committed histories of released workflow versions must replay against the current code.

A change that fails here would break incidents that are open while it is deployed: guard it with
``workflow.patched`` and record a new history (scripts/record_history.py) instead.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from workflows.incident import CLOSURE_GATE, REOPEN_WINDOW, IncidentWorkflow

HISTORIES = sorted((Path(__file__).resolve().parent.parent / "histories").glob("*.json"))


def test_there_is_a_history_to_replay() -> None:
    assert [path.name for path in HISTORIES][:1] == ["incident-v1.json"]


@pytest.mark.parametrize("path", HISTORIES, ids=lambda path: path.name)
async def test_history_replays_without_nondeterminism(path: Path) -> None:
    history = WorkflowHistory.from_json(path.stem, path.read_text(encoding="utf-8"))
    replayer = Replayer(workflows=[IncidentWorkflow], data_converter=pydantic_data_converter)
    result = await replayer.replay_workflow(history, raise_on_replay_failure=True)
    assert result.replay_failure is None


def updates_and_patches(name: str) -> tuple[list[str], list[str]]:
    path = HISTORIES[-1].with_name(name)
    history = WorkflowHistory.from_json(path.stem, path.read_text(encoding="utf-8"))
    updates = [
        event.workflow_execution_update_accepted_event_attributes.accepted_request.input.name
        for event in history.events
        if event.HasField("workflow_execution_update_accepted_event_attributes")
    ]
    patches = [
        json.loads(payload.data)["id"]
        for event in history.events
        if event.HasField("marker_recorded_event_attributes")
        and event.marker_recorded_event_attributes.marker_name == "core_patch"
        for payload in event.marker_recorded_event_attributes.details["patch-data"].payloads
    ]
    return updates, patches


def test_history_v5_holds_a_reopening_behind_its_patch() -> None:
    """Resolved, reopened within the window (the ``reopen`` update) and closed when it ran out."""
    updates, patches = updates_and_patches("incident-v5.json")
    assert updates.count("reopen") == 1
    assert patches == ["classify-as-local-activity", "advance-before-action", REOPEN_WINDOW]


def test_history_v6_holds_a_review_and_an_action_item_behind_the_closure_gate() -> None:
    """Reopened, resolved again, its review written and completed, closed once its action item was done."""
    updates, patches = updates_and_patches("incident-v6.json")
    assert (updates.count("reopen"), updates.count("edit_review"), updates.count("complete_review")) == (1, 3, 1)
    assert (updates.count("add_action"), updates.count("action_done")) == (1, 1)
    assert patches == ["classify-as-local-activity", "advance-before-action", REOPEN_WINDOW, CLOSURE_GATE]
