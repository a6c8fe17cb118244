"""The service catalog: who owns which service, how they are paged, and the SLA for each priority.

Pure schema and look-ups; reading the YAML file is the edge's job (``adapters.catalog_file``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import timedelta
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from domain.durations import Duration, PositiveDuration
from domain.models import IncidentReport, Priority, ReviewSection
from domain.policy.maintenance import MaintenanceWindow
from domain.policy.routing import RoutingRule, Subject, explain_match, first_match
from domain.policy.schedules import Schedule, schedule_problems
from domain.policy.snooze import DEFAULT_LONGEST_SNOOZE, LONGEST_SNOOZE_LIMIT

_ID = r"^[a-z0-9][a-z0-9._-]*$"
_EMAIL = r"[^@\s<>,;\x00-\x1f\x7f-\x9f]+@[^@\s<>,;\x00-\x1f\x7f-\x9f]+\.[^@\s<>,;.\x00-\x1f\x7f-\x9f]+"
"""One address, ``amara@shop.example``: no spaces, separators or control characters (it goes into a header)."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Criticality(StrEnum):
    """How much the business depends on a service; raises the priority of its incidents."""

    CRITICAL = "critical"
    HIGH = "high"
    STANDARD = "standard"


class SlaTargets(_Strict):
    acknowledge: PositiveDuration
    resolve: PositiveDuration


DEFAULT_SLA: dict[Priority, SlaTargets] = {
    Priority.P1: SlaTargets(acknowledge=timedelta(minutes=5), resolve=timedelta(hours=1)),
    Priority.P2: SlaTargets(acknowledge=timedelta(minutes=15), resolve=timedelta(hours=4)),
    Priority.P3: SlaTargets(acknowledge=timedelta(hours=1), resolve=timedelta(days=1)),
    Priority.P4: SlaTargets(acknowledge=timedelta(hours=4), resolve=timedelta(days=3)),
}


class User(_Strict):
    """A person, and how each channel reaches them (a channel names the people it cannot reach)."""

    name: str = Field(min_length=1)
    email: str | None = None
    """Where the email channel sends their pages, e.g. ``amara@shop.example``."""
    slack: str | None = None
    """Their Slack member id (profile → ⋮ → Copy member ID), e.g. ``U024BE7LH``: the Slack channel mentions them."""

    @field_validator("email")
    @classmethod
    def _one_address(cls, email: str | None) -> str | None:
        if email is not None and re.fullmatch(_EMAIL, email) is None:
            raise ValueError(f"{email!r} is not one email address like amara@shop.example")
        return email

    @field_validator("slack")
    @classmethod
    def _member_id(cls, slack: str | None) -> str | None:
        if slack is not None and re.fullmatch(r"[UW][A-Z0-9]{6,20}", slack) is None:
            raise ValueError(f"{slack!r} is not a Slack member id like U024BE7LH (a display name will not do)")
        return slack


class Team(_Strict):
    name: str = Field(min_length=1)
    members: list[str] = Field(min_length=1)
    escalation_policy: str


class Target(_Strict):
    """Who a level pages: one user, every member of a team, or whoever is on call in a schedule when it fires."""

    user: str | None = None
    team: str | None = None
    schedule: str | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Target:
        if [self.user, self.team, self.schedule].count(None) != 2:
            raise ValueError("a target names exactly one of 'user', 'team' or 'schedule'")
        return self

    def __str__(self) -> str:
        if self.schedule is not None:
            return f"schedule:{self.schedule}"
        return f"user:{self.user}" if self.user is not None else f"team:{self.team}"


class EscalationLevel(_Strict):
    targets: list[Target] = Field(min_length=1)
    delay: PositiveDuration
    """How long this level has to acknowledge before the next level is paged."""


class CommanderRule(_Strict):
    """Incidents of these priorities need a commander within ``within`` of opening; else ``targets`` are paged."""

    priorities: list[Priority] = Field(default_factory=lambda: [Priority.P1], min_length=1)
    within: PositiveDuration = Field(le=timedelta(days=1))
    targets: list[Target] = Field(min_length=1)
    """Users or teams (schedules are not supported here: name the team behind the rota)."""

    @model_validator(mode="after")
    def _no_schedules(self) -> CommanderRule:
        if any(target.schedule is not None for target in self.targets):
            raise ValueError("commander targets name users or teams, not schedules")
        return self


class ReviewRule(_Strict):
    """Incidents of these priorities get a post-incident review when resolved, and close only once it is complete
    and every action item is done or deferred."""

    priorities: list[Priority] = Field(default_factory=lambda: [Priority.P1, Priority.P2])
    required: list[ReviewSection] = Field(
        default_factory=lambda: [
            ReviewSection.SUMMARY,
            ReviewSection.CUSTOMER_IMPACT,
            ReviewSection.ROOT_CAUSE,
            ReviewSection.LESSONS,
        ]
    )
    """The sections that must be written before the review can be completed."""
    early_close: bool = False
    """Whether a responder may close an incident before its review and action items are done."""


DEFAULT_REOPEN_WINDOW = timedelta(hours=1)
LONGEST_REOPEN_WINDOW = timedelta(days=7)


class AcknowledgementTimeout(_Strict):
    """An acknowledged incident with no responder activity: remind the assignee, then page the level again."""

    remind_after: PositiveDuration = Field(le=timedelta(days=7))
    """Quiet time after the last activity before the assignee gets a reminder."""
    retrigger_after: PositiveDuration = Field(le=timedelta(days=7))
    """Further quiet time after the reminder before the incident returns to triggered."""


class EscalationPolicy(_Strict):
    name: str = Field(min_length=1)
    levels: list[EscalationLevel] = Field(min_length=1, max_length=20)
    repeat: int = Field(default=0, ge=0, le=9)
    """How many more times the whole path is walked after the first pass."""
    final_owner: str
    """The user told when the path is exhausted without an acknowledgement."""
    acknowledgement: AcknowledgementTimeout | None = None
    """None: an acknowledged incident waits for its assignee as long as it takes."""
    longest_snooze: PositiveDuration = Field(default=DEFAULT_LONGEST_SNOOZE, le=LONGEST_SNOOZE_LIMIT)
    """How long a responder may snooze an incident of this policy at most."""
    reopen_window: Duration = Field(default=DEFAULT_REOPEN_WINDOW, ge=timedelta(), le=LONGEST_REOPEN_WINDOW)
    auto_resolve_after: PositiveDuration | None = Field(default=None, le=timedelta(days=7))
    """Resolve an incident nobody acted on for this long while none of its alerts fired (PagerDuty's default is 4h);
    None: never."""
    commander: CommanderRule | None = None
    """None: nobody is paged for a missing commander."""
    update_every: dict[Priority, PositiveDuration] = Field(default_factory=dict)
    """How often an open incident of each priority needs a status update; the commander (else the assignee) is
    reminded when none was posted for that long. Priorities left out are never reminded."""
    review: ReviewRule | None = Field(default_factory=ReviewRule)
    """None: no incident of this policy needs a review; it closes when its reopen window ends."""
    """How long a resolved incident stays open to be reopened (by a responder, or by its alert firing again) before
    it closes; ``0s`` closes it as soon as it is resolved."""


class Subscription(_Strict):
    """People told of every status update of the service's incidents of these priorities (default: all)."""

    users: list[str] = Field(min_length=1)
    priorities: list[Priority] = Field(default_factory=lambda: list(Priority))


class Service(_Strict):
    team: str
    criticality: Criticality = Criticality.STANDARD
    description: str = ""
    subscribers: list[Subscription] = Field(default_factory=list)


class Defaults(_Strict):
    team: str
    """Owns incidents for services the catalog does not know."""


class Catalog(_Strict):
    version: str = Field(min_length=1)
    defaults: Defaults
    sla: dict[Priority, SlaTargets] = Field(default_factory=lambda: dict(DEFAULT_SLA))
    users: dict[str, User] = Field(min_length=1)
    teams: dict[str, Team] = Field(min_length=1)
    escalation_policies: dict[str, EscalationPolicy] = Field(min_length=1)
    services: dict[str, Service] = Field(default_factory=dict)
    routing_rules: list[RoutingRule] = Field(default_factory=list)
    """Ordered; the first rule matching a report routes it, before the service's owner is looked up."""
    maintenance_windows: list[MaintenanceWindow] = Field(default_factory=list)
    """Incidents of a service opened during one of its windows are recorded but page nobody until it ends."""
    schedules: dict[str, Schedule] = Field(default_factory=dict)
    """On-call schedules that escalation levels can target (``domain.policy.schedules``)."""

    @field_validator("sla", mode="after")
    @classmethod
    def _sla_defaults(cls, sla: dict[Priority, SlaTargets]) -> dict[Priority, SlaTargets]:
        """Priorities the catalog leaves out keep the default targets."""
        return {priority: sla.get(priority, DEFAULT_SLA[priority]) for priority in Priority}

    @model_validator(mode="after")
    def _references(self) -> Catalog:
        problems = list(self._reference_problems())
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def _reference_problems(self) -> list[str]:
        problems = []
        ids = [
            *((f"users.{key}", key) for key in self.users),
            *((f"teams.{key}", key) for key in self.teams),
            *((f"escalation_policies.{key}", key) for key in self.escalation_policies),
            *((f"services.{key}", key) for key in self.services),
            *((f"schedules.{key}", key) for key in self.schedules),
        ]
        for where, key in ids:
            if not _valid_id(key):
                problems.append(f"{where}: {key!r} is not an id: use lower-case letters, digits, '.', '_' and '-'")
        if self.defaults.team not in self.teams:
            problems.append(f"defaults.team: unknown team {self.defaults.team!r}")
        for team_id, team in self.teams.items():
            for index, member in enumerate(team.members):
                if member not in self.users:
                    problems.append(f"teams.{team_id}.members.{index}: unknown user {member!r}")
            if team.escalation_policy not in self.escalation_policies:
                problems.append(f"teams.{team_id}.escalation_policy: unknown policy {team.escalation_policy!r}")
        for policy_id, policy in self.escalation_policies.items():
            where = f"escalation_policies.{policy_id}"
            if policy.final_owner not in self.users:
                problems.append(f"{where}.final_owner: unknown user {policy.final_owner!r}")
            for level_index, level in enumerate(policy.levels):
                for target_index, target in enumerate(level.targets):
                    path = f"{where}.levels.{level_index}.targets.{target_index}"
                    if target.user is not None and target.user not in self.users:
                        problems.append(f"{path}.user: unknown user {target.user!r}")
                    if target.team is not None and target.team not in self.teams:
                        problems.append(f"{path}.team: unknown team {target.team!r}")
                    if target.schedule is not None and target.schedule not in self.schedules:
                        problems.append(f"{path}.schedule: unknown schedule {target.schedule!r}")
            for target_index, target in enumerate(policy.commander.targets if policy.commander else []):
                path = f"{where}.commander.targets.{target_index}"
                if target.user is not None and target.user not in self.users:
                    problems.append(f"{path}.user: unknown user {target.user!r}")
                if target.team is not None and target.team not in self.teams:
                    problems.append(f"{path}.team: unknown team {target.team!r}")
        for service_id, service in self.services.items():
            if service.team not in self.teams:
                problems.append(f"services.{service_id}.team: unknown team {service.team!r}")
            for index, subscription in enumerate(service.subscribers):
                for user_index, user in enumerate(subscription.users):
                    if user not in self.users:
                        path = f"services.{service_id}.subscribers.{index}.users.{user_index}"
                        problems.append(f"{path}: unknown user {user!r}")
        problems += self._routing_problems()
        problems += self._maintenance_problems()
        for schedule_id, schedule in self.schedules.items():
            problems += schedule_problems(f"schedules.{schedule_id}", schedule, self.users)
        return problems

    def _maintenance_problems(self) -> list[str]:
        problems = []
        for index, window in enumerate(self.maintenance_windows):
            where = f"maintenance_windows.{index}"
            if window.service not in self.services:
                problems.append(f"{where}.service: unknown service {window.service!r}")
            if window.end <= window.start:
                problems.append(f"{where}.end: {window.end.isoformat()} is not after start {window.start.isoformat()}")
        return problems

    def _routing_problems(self) -> list[str]:
        problems, names = [], set()
        for index, rule in enumerate(self.routing_rules):
            where = f"routing_rules.{index}"
            if rule.name in names:
                problems.append(f"{where}.name: {rule.name!r} is used by an earlier rule")
            names.add(rule.name)
            if rule.team not in self.teams:
                problems.append(f"{where}.team: unknown team {rule.team!r}")
            if rule.escalation_policy is not None and rule.escalation_policy not in self.escalation_policies:
                problems.append(f"{where}.escalation_policy: unknown policy {rule.escalation_policy!r}")
        return problems


def _valid_id(key: str) -> bool:
    return re.match(_ID, key) is not None


class Route(_Strict):
    """Where an incident goes: the owning team, its escalation policy and everything paging needs."""

    service: str
    known_service: bool
    criticality: Criticality
    team: str
    team_name: str
    policy_id: str
    policy: EscalationPolicy
    team_members: dict[str, list[str]]
    """Members of every team the policy pages, so levels can be expanded to people."""
    responders: list[str]
    """Every user who may act on the incident."""
    sla: dict[Priority, SlaTargets]
    catalog_version: str
    reason: str
    rule: str | None = None
    """The routing rule that matched, by name; None when the service's owner (or the default team) took it."""
    subscribers: list[Subscription] = Field(default_factory=list)
    """The service's subscribers in the catalog: told of every status update of the priorities they chose."""


def route(
    catalog: Catalog,
    service: str,
    catalog_version: str,
    *,
    category: str | None = None,
    source: str | None = None,
    labels: Mapping[str, str] | None = None,
) -> Route:
    """The first routing rule that matches → its team and policy; otherwise service → owning team → its policy.

    An unknown service goes to the default team. Rules on category, source or labels need them given.
    """
    known = catalog.services.get(service)
    rule = first_match(catalog.routing_rules, Subject(service, category, source, labels))
    if rule is not None:
        team_id = rule.team
        policy_id = rule.escalation_policy or catalog.teams[team_id].escalation_policy
        reason = f"routing rule {rule.name!r} ({explain_match(rule)}) sends it to team {team_id!r}"
    else:
        team_id = known.team if known is not None else catalog.defaults.team
        policy_id = catalog.teams[team_id].escalation_policy
        if known is not None:
            reason = f"service {service!r} is owned by team {team_id!r}"
        else:
            reason = f"service {service!r} is not in the catalog; routed to the default team {team_id!r}"
    team = catalog.teams[team_id]
    policy = catalog.escalation_policies[policy_id]
    commander = policy.commander.targets if policy.commander else []
    targets = [*(t for level in policy.levels for t in level.targets), *commander]
    paged_teams = {t.team for t in targets if t.team is not None}
    return Route(
        service=service,
        known_service=known is not None,
        subscribers=list(known.subscribers) if known is not None else [],
        criticality=known.criticality if known is not None else Criticality.STANDARD,
        team=team_id,
        team_name=team.name,
        policy_id=policy_id,
        policy=policy,
        team_members={t: list(catalog.teams[t].members) for t in sorted(paged_teams)},
        responders=sorted(catalog.users),
        sla=dict(catalog.sla),
        catalog_version=catalog_version,
        reason=reason,
        rule=rule.name if rule is not None else None,
    )


def route_report(catalog: Catalog, report: IncidentReport, catalog_version: str) -> Route:
    """Route a report: routing rules see its service, category, source and labels."""
    return route(
        catalog,
        report.service,
        catalog_version,
        category=report.category.value,
        source=report.source.value,
        labels=report.labels,
    )


def schedules_of(targets: list[Target]) -> list[str]:
    """The schedules a level targets, in order, each once: who is on call there is asked when the level fires."""
    return list(dict.fromkeys(target.schedule for target in targets if target.schedule is not None))


def recipients(
    targets: list[Target], team_members: dict[str, list[str]], on_call: dict[str, str | None] | None = None
) -> list[str]:
    """The people behind a level's targets, in order, each once; ``on_call`` answers schedule → user (or None)."""
    people: list[str] = []
    for target in targets:
        if target.schedule is not None:
            found = (on_call or {}).get(target.schedule)
            names = [found] if found is not None else []
        else:
            names = [target.user] if target.user is not None else team_members.get(target.team or "", [])
        for name in names:
            if name not in people:
                people.append(name)
    return people
