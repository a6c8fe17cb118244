"""The log channel: every page on one structured line of the worker's log.

One-click links are not written: a link acts as its recipient for as long as it is valid, and logs are read by more
people (and kept longer) than pages. The line says which links each recipient was sent, never the URLs.
"""

from __future__ import annotations

import logging

from activities.channels.base import one_line
from activities.page_links import PageLinks
from domain.messages.steps import NotificationRequest

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
    """`` | links (not logged): amara acknowledge, resolve; bob acknowledge, resolve``, or nothing."""
    if not links:
        return ""
    people = (f"{recipient} {', '.join(urls)}" for recipient, urls in links.items())
    return " | links (not logged): " + "; ".join(people)
