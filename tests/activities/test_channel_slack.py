"""The Slack-compatible incoming webhook against a real receiver: the message, mentions, links, escaping, errors."""

from __future__ import annotations

import socket
from datetime import timedelta

import httpx
import pytest
from pydantic import SecretStr

from activities.channels.slack import SlackChannel
from activities.page_links import PageLinks
from adapters.catalog_file import LoadedCatalog
from adapters.settings import Settings
from domain.errors import ConfigError
from tests.support.channel_pages import INCIDENT_ID, TEXT, USERS, make_page, make_request, send, send_failing, signer
from tests.support.receiver import Receiver, Reply
from worker import build_channels

KEY = f"{INCIDENT_ID}:page-0:slack"
FIELDS = [
    {"type": "mrkdwn", "text": "*Priority*\nP1"},
    {"type": "mrkdwn", "text": "*Service*\nshop-payments"},
    {"type": "mrkdwn", "text": "*Level*\n1"},
    {"type": "mrkdwn", "text": "*Acknowledge by*\n2026-11-28 09:05:00 UTC"},
    {"type": "mrkdwn", "text": "*Resolve by*\n2026-11-28 10:00:00 UTC"},
]
CONTEXT = {"type": "context", "elements": [{"type": "mrkdwn", "text": f"Incident {INCIDENT_ID} · page-0"}]}


def slack(http: httpx.AsyncClient, receiver: Receiver) -> SlackChannel:
    return SlackChannel(http, receiver.url("/services/T000/B000/incoming-webhook-token"), USERS)


def link_line(who: str, urls: dict[str, str]) -> str:
    return f"{who}: <{urls['acknowledge']}|Acknowledge> · <{urls['resolve']}|Resolve>"


async def test_a_page_becomes_a_readable_message_with_mentions_and_links(
    receiver: Receiver, http: httpx.AsyncClient
) -> None:
    request = make_request("slack", make_page(["amara", "chen", "dana", "emil", "zoe"]))
    links: PageLinks = signer().links_for(INCIDENT_ID, request.page)

    result = await send("slack", slack(http, receiver), request, signer())

    assert (result.channel, result.detail) == ("slack", "HTTP 200; no Slack member id, named instead: chen, emil, zoe")
    [sent] = receiver.requests
    assert (sent.method, sent.path) == ("POST", "/services/T000/B000/incoming-webhook-token")
    assert sent.headers["content-type"] == "application/json"
    assert sent.headers["idempotency-key"] == KEY
    people = "<@U024BE7LH>, Chen Wei, <@U04D8K1RS>, Emil Novak, zoe"
    assert sent.json == {
        "text": f"[P1] shop-payments: Checkout returns 502 — level 1: please acknowledge. Paged: {people}",
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": "[P1] shop-payments: Checkout returns 502"}},
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": f"*level 1: please acknowledge*\nPaged: {people}"},
            },
            {"type": "section", "fields": FIELDS},
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": "\n".join(
                        [
                            link_line("<@U024BE7LH>", links["amara"]),
                            link_line("Chen Wei", links["chen"]),
                            link_line("<@U04D8K1RS>", links["dana"]),
                            link_line("Emil Novak", links["emil"]),
                            link_line("zoe", links["zoe"]),
                        ]
                    ),
                },
            },
            CONTEXT,
        ],
    }


async def test_everyone_mentioned_and_no_links(receiver: Receiver, http: httpx.AsyncClient) -> None:
    request = make_request("slack", make_page(["amara", "bruno"]))

    result = await send("slack", slack(http, receiver), request)

    assert result.detail == "HTTP 200"
    blocks = receiver.requests[0].json["blocks"]
    assert blocks[1]["text"]["text"] == "*level 1: please acknowledge*\nPaged: <@U024BE7LH>, <@U02B7C9QX>"
    assert [block["type"] for block in blocks] == ["header", "section", "section", "context"]


async def test_an_sla_warning_without_level_or_acknowledge_deadline(
    receiver: Receiver, http: httpx.AsyncClient
) -> None:
    page = make_page(
        ["amara"],
        step="sla-resolve-50",
        kind="sla_warning",
        level=None,
        acknowledge_by=None,
        text=f"resolve SLA 50% elapsed\nIncident {INCIDENT_ID} — Checkout returns 502",
    )

    await send("slack", slack(http, receiver), make_request("slack", page, priority=None))

    blocks = receiver.requests[0].json["blocks"]
    assert blocks[1]["text"]["text"] == "*resolve SLA 50% elapsed*\nPaged: <@U024BE7LH>"
    assert blocks[2]["fields"] == [
        {"type": "mrkdwn", "text": "*Priority*\nunclassified"},
        {"type": "mrkdwn", "text": "*Service*\nshop-payments"},
        {"type": "mrkdwn", "text": "*Resolve by*\n2026-11-28 10:00:00 UTC"},
    ]
    assert blocks[-1]["elements"][0]["text"] == f"Incident {INCIDENT_ID} · sla-resolve-50"


async def test_a_page_queued_before_pages_carried_deadlines_shows_its_text(
    receiver: Receiver, http: httpx.AsyncClient
) -> None:
    page = make_page(["amara"], title=None, acknowledge_by=None, resolve_by=None)

    await send("slack", slack(http, receiver), make_request("slack", page))

    blocks = receiver.requests[0].json["blocks"]
    assert blocks[2]["fields"] == FIELDS[:3]
    assert blocks[3] == {"type": "section", "text": {"type": "mrkdwn", "text": TEXT}}


async def test_a_title_cannot_mention_everyone_or_forge_a_link(receiver: Receiver, http: httpx.AsyncClient) -> None:
    title = "<!channel> pay <https://evil.example|here> & more"
    page = make_page(
        ["amara"],
        subject=f"[P1] shop-payments: {title}\nsecond line",
        text=f"level 1: {title}\nIncident {INCIDENT_ID} — {title}",
        title=title,
    )

    await send("slack", slack(http, receiver), make_request("slack", page))

    sent = receiver.requests[0].json
    escaped = "&lt;!channel&gt; pay &lt;https://evil.example|here&gt; &amp; more"
    assert sent["text"] == f"[P1] shop-payments: {escaped} second line — level 1: {escaped}. Paged: <@U024BE7LH>"
    # plain_text is shown as it is, never parsed for mentions or links
    assert sent["blocks"][0]["text"] == {"type": "plain_text", "text": f"[P1] shop-payments: {title} second line"}
    assert sent["blocks"][1]["text"]["text"] == f"*level 1: {escaped}*\nPaged: <@U024BE7LH>"
    mrkdwn = [sent["text"], *(block["text"]["text"] for block in sent["blocks"][1:2])]
    assert all("<!channel>" not in text and "<https://evil" not in text for text in mrkdwn)


async def test_links_for_a_big_team_fit_in_slack_limits(receiver: Receiver, http: httpx.AsyncClient) -> None:
    team = [f"member-{index:02}" for index in range(60)]
    request = make_request("slack", make_page(team))
    links: PageLinks = signer().links_for(INCIDENT_ID, request.page)

    await send("slack", slack(http, receiver), request, signer())

    blocks = receiver.requests[0].json["blocks"]
    link_texts = [block["text"]["text"] for block in blocks[3:-1]]
    assert len(blocks) < 50
    assert all(len(text) <= 3000 for text in link_texts)
    assert "\n".join(link_texts).split("\n") == [link_line(person, links[person]) for person in team]


async def test_a_long_subject_is_cut_to_fit_slack_header(receiver: Receiver, http: httpx.AsyncClient) -> None:
    page = make_page(["amara"], subject="[P1] shop-payments: " + "x" * 200)

    await send("slack", slack(http, receiver), make_request("slack", page))

    header = receiver.requests[0].json["blocks"][0]["text"]["text"]
    assert len(header) == 150
    assert header == "[P1] shop-payments: " + "x" * 129 + "…"


# ---- errors -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reply", "kind", "message", "final", "delay"),
    [
        (Reply(429, headers={"Retry-After": "30"}), "ChannelRateLimited", "HTTP 429 Too Many Requests", False, 30),
        (Reply(500, body=b"rollup_error"), "ChannelServerError", "HTTP 500 Internal Server Error", False, None),
        (Reply(400, body=b"invalid_payload"), "ChannelRejected", "HTTP 400 Bad Request", True, None),
        (Reply(403, body=b"invalid_token"), "ChannelRejected", "HTTP 403 Forbidden", True, None),
        (Reply(404, body=b"no_service"), "ChannelRejected", "HTTP 404 Not Found", True, None),
        (Reply(410, body=b"channel_is_archived"), "ChannelRejected", "HTTP 410 Gone", True, None),
    ],
)
async def test_slack_answers_become_typed_errors(
    receiver: Receiver,
    http: httpx.AsyncClient,
    reply: Reply,
    kind: str,
    message: str,
    final: bool,
    delay: int | None,
) -> None:
    receiver.script(reply)

    error = await send_failing("slack", slack(http, receiver), make_request("slack"))

    assert (error.type, error.message, error.non_retryable) == (kind, message, final)
    assert error.next_retry_delay == (timedelta(seconds=delay) if delay is not None else None)


async def test_retried_after_a_server_error_with_the_same_message(receiver: Receiver, http: httpx.AsyncClient) -> None:
    receiver.script(503, 200)
    channel = slack(http, receiver)
    request = make_request("slack")

    failed = await send_failing("slack", channel, request)
    delivered = await send("slack", channel, request)

    assert (failed.type, delivered.detail) == (
        "ChannelServerError",
        "HTTP 200; no Slack member id, named instead: chen",
    )
    assert receiver.requests[0].body == receiver.requests[1].body
    assert receiver.deliveries == {KEY: 1}


async def test_unreachable_slack_never_reveals_the_url(http: httpx.AsyncClient) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/services/T000/B000/SECRETPART"

    error = await send_failing("slack", SlackChannel(http, url, USERS), make_request("slack"))

    assert error.type == "ChannelUnavailable"
    assert error.message.startswith("slack unreachable: ConnectError(")
    assert "SECRETPART" not in error.message


# ---- settings -----------------------------------------------------------------------------------------


async def test_worker_wires_slack_from_settings_with_the_catalog_users(
    receiver: Receiver, http: httpx.AsyncClient, catalog: LoadedCatalog
) -> None:
    settings = Settings(log_channel=False, slack_webhook_url=SecretStr(receiver.url("/services/T/B/C")))
    channels = build_channels(settings, http, catalog.catalog.users)

    result = await send("slack", channels["slack"], make_request("slack", make_page(["amara", "lena"])))

    assert settings.channels == list(channels) == ["slack"]
    assert result.detail == "HTTP 200; no Slack member id, named instead: lena"
    assert receiver.requests[0].json["blocks"][1]["text"]["text"] == (
        "*level 1: please acknowledge*\nPaged: <@U024BE7LH>, Lena Fischer"
    )
    assert "services/T/B/C" not in repr(settings)


@pytest.mark.parametrize("url", ["hooks.slack.com/services/T/B/C", "ftp://hooks.slack.com/x", "https://"])
def test_a_slack_url_that_is_not_one_is_refused_without_echoing_it(
    url: str, http: httpx.AsyncClient, catalog: LoadedCatalog
) -> None:
    settings = Settings(slack_webhook_url=SecretStr(url))

    with pytest.raises(ConfigError) as caught:
        build_channels(settings, http, catalog.catalog.users)

    assert str(caught.value) == (
        "INCIDENTS_SLACK_WEBHOOK_URL is not an http(s) URL like https://hooks.slack.com/services/..."
    )
