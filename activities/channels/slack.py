"""Slack-compatible incoming webhook: a readable message with the incident's facts and each recipient's links.

The message has a ``text`` fallback (what notifications and old clients show) and blocks: the subject, the
headline with the people paged (mentioned by Slack member id, named when the catalog has none), priority, service,
level and SLA deadlines as fields, and per recipient the one-click acknowledge/resolve links. Everything taken from
a report is escaped, so a title cannot mention ``@channel`` or forge a link. The webhook URL is the secret.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import httpx

from activities.channels.base import Users, display_name
from activities.channels.http import post
from activities.page_links import PageLinks
from domain.messages.steps import NotificationRequest
from domain.models import as_utc
from domain.text import without_control_characters

HEADER_LIMIT = 150
"""Slack refuses a header block longer than this."""
SECTION_LIMIT = 3000
ACTION_LABELS = {"acknowledge": "Acknowledge", "resolve": "Resolve"}


class SlackChannel:
    def __init__(self, client: httpx.AsyncClient, url: str, users: Users, total_timeout: float = 10.0) -> None:
        self._client, self._url, self._users, self._total_timeout = client, url, users, total_timeout

    async def deliver(self, request: NotificationRequest, links: PageLinks) -> str:
        message = slack_message(request, links, self._users)
        body = json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode()
        headers = {"Idempotency-Key": request.idempotency_key}
        answer = await post(self._client, self._url, body, headers, self._total_timeout, "slack")
        unnamed = [person for person in request.page.recipients if _member_id(self._users, person) is None]
        if unnamed:
            return f"{answer}; no Slack member id, named instead: {', '.join(unnamed)}"
        return answer


def slack_message(request: NotificationRequest, links: PageLinks, users: Users) -> dict[str, Any]:
    page = request.page
    headline = escape(page.text.splitlines()[0]) if page.text else escape(page.kind)
    people = ", ".join(mention(users, person) for person in page.recipients) or "nobody"
    priority = request.priority.value if request.priority else "unclassified"
    facts = [("Priority", priority), ("Service", escape(request.service))]
    if page.level is not None:
        facts.append(("Level", str(page.level)))
    facts += [(label, as_utc(when)) for label, when in _deadlines(page.acknowledge_by, page.resolve_by)]
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": _cut(one_line(page.subject), HEADER_LIMIT)}},
        {"type": "section", "text": {"type": "mrkdwn", "text": _cut(f"*{headline}*\nPaged: {people}", SECTION_LIMIT)}},
        {"type": "section", "fields": [{"type": "mrkdwn", "text": f"*{name}*\n{value}"} for name, value in facts]},
    ]
    if page.title is None:  # a page from before pages carried their deadlines: its text has them
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": _cut(escape(page.text), SECTION_LIMIT)}})
    link_lines = [
        f"{mention(users, person)}: " + " · ".join(f"<{url}|{ACTION_LABELS.get(a, a)}>" for a, url in actions.items())
        for person, actions in links.items()
    ]
    blocks += [{"type": "section", "text": {"type": "mrkdwn", "text": text}} for text in _packed(link_lines)]
    blocks.append(
        {
            "type": "context",
            "elements": [{"type": "mrkdwn", "text": f"Incident {escape(request.incident_id)} · {escape(page.step)}"}],
        }
    )
    return {"text": f"{escape(one_line(page.subject))} — {headline}. Paged: {people}", "blocks": blocks}


def mention(users: Users, person: str) -> str:
    """``<@U024BE7LH>`` for someone with a Slack member id, their name otherwise."""
    member = _member_id(users, person)
    return f"<@{member}>" if member is not None else escape(display_name(users, person))


def escape(text: str) -> str:
    """Slack's escaping for message text: ``&``, ``<`` and ``>`` (so ``<!channel>`` stays plain text)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def one_line(text: str) -> str:
    """Whitespace (line breaks from a report's title included) folded into single spaces; other control characters
    (an ESC, a NUL) removed."""
    return " ".join(without_control_characters(text).split())


def _member_id(users: Users, person: str) -> str | None:
    user = users.get(person)
    return user.slack if user is not None else None


def _deadlines(acknowledge_by: datetime | None, resolve_by: datetime | None) -> list[tuple[str, datetime]]:
    named = [("Acknowledge by", acknowledge_by), ("Resolve by", resolve_by)]
    return [(label, when) for label, when in named if when is not None]


def _packed(lines: list[str]) -> list[str]:
    """Lines joined into as few section texts as Slack's length limit allows (a message has at most 50 blocks)."""
    texts: list[str] = []
    for line in lines:
        if texts and len(texts[-1]) + 1 + len(line) <= SECTION_LIMIT:
            texts[-1] += "\n" + line
        else:
            texts.append(line)
    return texts


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
