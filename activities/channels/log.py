"""The log channel: every page on one structured line of the worker's log."""

from __future__ import annotations

import logging

from activities.channels.base import one_line
from activities.links import PageLinks
from domain.requests import NotificationRequest

logger = logging.getLogger("incidents.notifications")


class LogChannel:
    """Writes every page to the worker's log, one structured line each."""

    async def deliver(self, request: NotificationRequest, links: PageLinks) -> str:
        page = request.page
        logger.info(
            "page %s to %s: %s | %s%s",
            request.idempotency_key,
            ",".join(page.recipients) or "-",
            one_line(page.subject),
            one_line(page.text),
            one_line(_links_section(links)),
        )
        return "written to the worker log"


def _links_section(links: PageLinks) -> str:
    """`` | links: amara acknowledge <url> resolve <url>; bob acknowledge <url> ...``, or nothing."""
    if not links:
        return ""
    people = (
        " ".join([recipient, *(f"{action} {url}" for action, url in urls.items())]) for recipient, urls in links.items()
    )
    return " | links: " + "; ".join(people)
