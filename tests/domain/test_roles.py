"""Roles by hand at explicit times: assignment, hand-over, refusals (which change nothing), and the policy's required
commander paged once when nobody took the role in time."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from domain.errors import DomainError, IllegalTransition, InvalidAction, UnknownResponder
from domain.incident import IncidentState, advance, assign_role, close_incident, resolve
from domain.models import Role
from domain.policy.catalog import CommanderRule, Target

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
OpenIncident = Callable[..., IncidentState]


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def with_commander_rule(state: IncidentState, within: timedelta = timedelta(minutes=10)) -> IncidentState:
    assert state.route is not None
    rule = CommanderRule(within=within, targets=[Target(user="kofi"), Target(team="incident-command")])
    policy = state.route.policy.model_copy(update={"commander": rule})
    members = {**state.route.team_members, "incident-command": ["kofi", "lena"]}
    state.route = state.route.model_copy(update={"policy": policy, "team_members": members})
    return state


def test_a_role_is_assigned_then_handed_over(open_incident: OpenIncident) -> None:
    state = open_incident(T0)
    state.take_outbox()
    assign_role(state, "amara", Role.COMMANDER, "kofi", at(2))
    assign_role(state, "kofi", Role.SCRIBE, "kofi", at(3))
    assign_role(state, "kofi", Role.COMMANDER, "lena", at(20))
    assert state.roles == {Role.COMMANDER: "lena", Role.SCRIBE: "kofi"}
    assert [(e.actor, e.message, e.data["previous"]) for e in state.timeline if e.kind == "role.assigned"] == [
        ("amara", "kofi is the commander (assigned by amara)", None),
        ("kofi", "kofi is the scribe (assigned by kofi)", None),
        ("kofi", "commander handed over from kofi to lena by kofi", "kofi"),
    ]
    assert [(page.kind, page.recipients) for page in state.take_outbox()] == [("role", ["kofi"]), ("role", ["lena"])]


@pytest.mark.parametrize(
    ("by", "user", "error", "message"),
    [
        ("mallory", "kofi", UnknownResponder, "unknown responder 'mallory': not a user in the catalog"),
        ("amara", "zed", UnknownResponder, "cannot make 'zed' the commander: not a user in the catalog"),
        ("amara", "kofi", InvalidAction, "cannot assign the role: kofi is already the commander"),
    ],
)
def test_a_refused_assignment_changes_nothing(
    open_incident: OpenIncident, by: str, user: str, error: type[DomainError], message: str
) -> None:
    state = open_incident(T0)
    assign_role(state, "amara", Role.COMMANDER, "kofi", at(1))
    before = state.model_copy(deep=True)
    with pytest.raises(error) as refused:
        assign_role(state, by, Role.COMMANDER, user, at(2))
    assert (str(refused.value), state) == (message, before)


def test_roles_can_be_given_until_the_incident_closes(open_incident: OpenIncident) -> None:
    state = open_incident(T0)
    resolve(state, "amara", "restarted", "leak", at(5))
    assign_role(state, "amara", Role.COMMUNICATIONS, "bruno", at(6))
    close_incident(state, at(7))
    with pytest.raises(IllegalTransition) as refused:
        assign_role(state, "amara", Role.SCRIBE, "bruno", at(8))
    assert str(refused.value) == "cannot assign a role: the incident is already closed"


def test_a_missing_commander_pages_the_rule_s_targets_once(open_incident: OpenIncident) -> None:
    state = with_commander_rule(open_incident(T0))
    state.take_outbox()
    assert state.commander_due() == at(10)
    assert state.next_wake() == at(2.5)  # the acknowledge SLA's 50 % first
    advance(state, at(10))
    assert [(e.kind, e.message) for e in state.timeline if e.kind.startswith("role.")] == [
        ("role.commander_missing", "no incident commander 10m after opening: paging kofi, lena"),
    ]
    commander_pages = [(p.step, p.recipients) for p in state.take_outbox() if p.kind == "commander_needed"]
    assert commander_pages == [("commander-needed", ["kofi", "lena"])]
    assert (state.commander_paged_at, state.commander_due()) == (at(10), None)
    assign_role(state, "kofi", Role.COMMANDER, "kofi", at(12))
    assert state.roles == {Role.COMMANDER: "kofi"}


def test_a_commander_in_time_pages_nobody(open_incident: OpenIncident) -> None:
    state = with_commander_rule(open_incident(T0))
    assign_role(state, "amara", Role.COMMANDER, "kofi", at(4))
    assert state.commander_due() is None
    advance(state, at(30))
    assert [e.kind for e in state.timeline].count("role.commander_missing") == 0


def test_the_rule_applies_to_its_priorities_only(open_incident: OpenIncident) -> None:
    state = with_commander_rule(open_incident(T0, impact="single_user", urgency="low"))
    assert (state.priority is not None and state.priority.value != "P1", state.commander_due()) == (True, None)
