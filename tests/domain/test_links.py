"""Signed one-click links: exact round trips, and every way a link is refused, with its exact error and message."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta

import pytest

from domain.errors import ExpiredLink, IncidentPipelineError, InvalidLink, LinkError
from domain.signed_links import MAX_TOKEN_LENGTH, LinkAction, LinkClaims, link_actions, sign_link, verify_link

SECRET = b"s" * 32
OLD_SECRET = b"o" * 32
OTHER_SECRET = b"x" * 32
INCIDENT_ID = "INC-20261128-0042"
EXPIRES_AT = datetime(2026, 11, 29, 9, 0, 0, tzinfo=UTC)
BEFORE = EXPIRES_AT - timedelta(hours=1)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def signed(payload_text: str, secret: bytes = SECRET) -> str:
    """A token over any payload text, correctly signed: how tests reach the checks made after the signature."""
    signature = b64(hmac.new(secret, payload_text.encode(), hashlib.sha256).digest())
    return f"{payload_text}.{signature}"


def signed_json(value: object, secret: bytes = SECRET) -> str:
    return signed(b64(json.dumps(value).encode()), secret)


def token(action: LinkAction = LinkAction.ACKNOWLEDGE, responder: str = "amara", secret: bytes = SECRET) -> str:
    return sign_link(secret, INCIDENT_ID, action, responder, EXPIRES_AT)


def refused(secret: bytes | list[bytes], link: str, now: datetime = BEFORE) -> LinkError:
    with pytest.raises(LinkError) as caught:
        verify_link(secret, link, now)
    return caught.value


# ---- round trip and format ---------------------------------------------------------------------------


@pytest.mark.parametrize("action", list(LinkAction))
@pytest.mark.parametrize("responder", ["amara", "jörg.müller@example.com"])
def test_round_trip_gives_the_exact_claims(action: LinkAction, responder: str) -> None:
    claims = verify_link(SECRET, token(action, responder), BEFORE)

    assert claims == LinkClaims(incident_id=INCIDENT_ID, action=action, responder=responder, expires_at=EXPIRES_AT)
    assert claims.expires_at.tzinfo == UTC


def test_token_is_payload_dot_signature_in_unpadded_base64url() -> None:
    link = token()

    payload_text, signature_text = link.split(".")
    assert json.loads(base64.urlsafe_b64decode(payload_text + "=" * (-len(payload_text) % 4))) == {
        "i": INCIDENT_ID,
        "a": "acknowledge",
        "r": "amara",
        "e": 1795942800,
    }
    assert signature_text == b64(hmac.new(SECRET, payload_text.encode(), hashlib.sha256).digest())
    assert len(signature_text) == 43
    assert link == signed(payload_text)
    assert "=" not in link and "+" not in link and "/" not in link
    assert link == (
        "eyJpIjoiSU5DLTIwMjYxMTI4LTAwNDIiLCJhIjoiYWNrbm93bGVkZ2UiLCJyIjoiYW1hcmEiLCJlIjoxNzk1OTQyODAwfQ."
        + signature_text
    )


def test_expiry_is_floored_to_the_second() -> None:
    link = sign_link(SECRET, INCIDENT_ID, LinkAction.RESOLVE, "amara", EXPIRES_AT + timedelta(microseconds=999_999))

    assert verify_link(SECRET, link, BEFORE).expires_at == EXPIRES_AT


def test_expiry_in_another_timezone_is_the_same_instant() -> None:
    paris = EXPIRES_AT.astimezone(datetime.fromisoformat("2026-01-01T00:00:00+01:00").tzinfo)

    assert sign_link(SECRET, INCIDENT_ID, LinkAction.ACKNOWLEDGE, "amara", paris) == token()


def test_tokens_differ_by_action_and_responder() -> None:
    tokens = {token(LinkAction.ACKNOWLEDGE), token(LinkAction.RESOLVE), token(responder="bo")}

    assert len(tokens) == 3


# ---- tampering ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "change",
    [
        {"i": "INC-20261128-0043"},
        {"a": "resolve"},
        {"r": "mallory"},
        {"e": 1795942800 + 3600},
    ],
)
def test_tampered_payload_is_refused(change: dict[str, object]) -> None:
    _, signature_text = token().split(".")
    payload = {"i": INCIDENT_ID, "a": "acknowledge", "r": "amara", "e": 1795942800} | change
    forged = f"{b64(json.dumps(payload, separators=(',', ':')).encode())}.{signature_text}"

    error = refused(SECRET, forged)

    assert type(error) is InvalidLink
    assert str(error) == "link signature does not match"


def test_tampered_signature_is_refused() -> None:
    payload_text, signature_text = token().split(".")
    flipped = ("A" if signature_text[0] != "A" else "B") + signature_text[1:]

    error = refused(SECRET, f"{payload_text}.{flipped}")

    assert type(error) is InvalidLink
    assert str(error) == "link signature does not match"


def test_signature_of_another_token_is_refused() -> None:
    payload_text, _ = token(LinkAction.ACKNOWLEDGE).split(".")
    _, resolve_signature = token(LinkAction.RESOLVE).split(".")

    error = refused(SECRET, f"{payload_text}.{resolve_signature}")

    assert type(error) is InvalidLink
    assert str(error) == "link signature does not match"


def test_wrong_secret_is_refused() -> None:
    error = refused(OTHER_SECRET, token())

    assert type(error) is InvalidLink
    assert str(error) == "link signature does not match"


def test_unsigned_garbage_is_refused_for_its_signature_before_being_read() -> None:
    """A payload that is not even JSON, with a signature of the right shape: the signature is checked first."""
    error = refused(SECRET, f"{b64(b'not json')}.{'A' * 43}")

    assert type(error) is InvalidLink
    assert str(error) == "link signature does not match"


# ---- expiry ------------------------------------------------------------------------------------------


def test_valid_one_second_before_expiry() -> None:
    claims = verify_link(SECRET, token(), EXPIRES_AT - timedelta(seconds=1))

    assert claims.expires_at == EXPIRES_AT


@pytest.mark.parametrize("late", [timedelta(0), timedelta(seconds=1), timedelta(days=400)])
def test_expired_at_and_after_expiry(late: timedelta) -> None:
    error = refused(SECRET, token(), EXPIRES_AT + late)

    assert type(error) is ExpiredLink
    assert str(error) == "link expired at 2026-11-29 09:00:00 UTC"


def test_expiry_is_compared_as_an_instant_whatever_the_timezone_of_now() -> None:
    one_second_after = (EXPIRES_AT + timedelta(seconds=1)).astimezone(
        datetime.fromisoformat("2026-01-01T00:00:00-05:00").tzinfo
    )

    error = refused(SECRET, token(), one_second_after)

    assert type(error) is ExpiredLink
    assert str(error) == "link expired at 2026-11-29 09:00:00 UTC"


def test_signature_is_checked_before_expiry() -> None:
    """An expired link with a forged signature says the signature is wrong, not that it expired."""
    error = refused(OTHER_SECRET, token(), EXPIRES_AT + timedelta(days=1))

    assert type(error) is InvalidLink
    assert str(error) == "link signature does not match"


# ---- malformed ---------------------------------------------------------------------------------------

GOOD_PAYLOAD = {"i": INCIDENT_ID, "a": "acknowledge", "r": "amara", "e": 1795942800}


@pytest.mark.parametrize(
    "link",
    [
        pytest.param("", id="empty"),
        pytest.param("eyJpIjoiSU5DIn0", id="no dot"),
        pytest.param(".", id="only a dot"),
        pytest.param(f".{'A' * 43}", id="empty payload"),
        pytest.param("eyJpIjoiSU5DIn0.", id="empty signature"),
        pytest.param(f"eyJp.eyJp.{'A' * 43}", id="two dots"),
        pytest.param(f"eyJp={'.'}{'A' * 43}", id="padding in payload"),
        pytest.param(f"eyJp.{'A' * 42}=", id="padding in signature"),
        pytest.param(f"eyJp.{'A' * 42}+", id="plus in signature (standard base64)"),
        pytest.param(f"ey/p.{'A' * 43}", id="slash in payload (standard base64)"),
        pytest.param(f"eyJp.{'A' * 42}", id="signature too short"),
        pytest.param(f"eyJp.{'A' * 44}", id="signature too long"),
        pytest.param(f"eyJp.{'A' * 42}é", id="non-ascii"),
        pytest.param(f"eyJp .{'A' * 43}", id="space"),
        pytest.param("A" * (MAX_TOKEN_LENGTH - 43) + "." + "A" * 43, id="one character too long"),
    ],
)
def test_malformed_shapes_are_refused_before_the_signature(link: str) -> None:
    error = refused(SECRET, link)

    assert type(error) is InvalidLink
    assert str(error) == "link is malformed"


def test_longest_token_is_read() -> None:
    error = refused(SECRET, "A" * (MAX_TOKEN_LENGTH - 44) + "." + "A" * 43)

    assert type(error) is InvalidLink
    assert str(error) == "link signature does not match"


@pytest.mark.parametrize(
    "payload_text",
    [
        pytest.param("A", id="bad base64 length"),
        pytest.param("AAAAA", id="bad base64 length 5"),
        pytest.param(b64(b"\xff\xfe"), id="not utf-8"),
        pytest.param(b64(b"not json"), id="not json"),
        pytest.param(b64(b'{"i": "INC-1", "a": "acknowledge"'), id="truncated json"),
    ],
)
def test_signed_but_unreadable_payload_is_malformed(payload_text: str) -> None:
    error = refused(SECRET, signed(payload_text))

    assert type(error) is InvalidLink
    assert str(error) == "link is malformed"


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param([INCIDENT_ID, "acknowledge", "amara", 1795942800], id="a list"),
        pytest.param("INC-1", id="a string"),
        pytest.param(None, id="null"),
        pytest.param(GOOD_PAYLOAD | {"i": 42}, id="incident id a number"),
        pytest.param(GOOD_PAYLOAD | {"i": ""}, id="incident id empty"),
        pytest.param(GOOD_PAYLOAD | {"a": "delete"}, id="unknown action"),
        pytest.param(GOOD_PAYLOAD | {"a": "ACKNOWLEDGE"}, id="action in capitals"),
        pytest.param(GOOD_PAYLOAD | {"r": None}, id="responder null"),
        pytest.param(GOOD_PAYLOAD | {"r": ""}, id="responder empty"),
        pytest.param(GOOD_PAYLOAD | {"e": "1795942800"}, id="expiry a string"),
        pytest.param(GOOD_PAYLOAD | {"e": 1795942800.5}, id="expiry a float"),
        pytest.param(GOOD_PAYLOAD | {"e": True}, id="expiry a boolean"),
        pytest.param(GOOD_PAYLOAD | {"e": -1}, id="expiry before 1970"),
        pytest.param(GOOD_PAYLOAD | {"e": 10**20}, id="expiry past year 9999"),
        pytest.param({k: v for k, v in GOOD_PAYLOAD.items() if k != "r"}, id="responder missing"),
        pytest.param(GOOD_PAYLOAD | {"x": 1}, id="an extra key"),
    ],
)
def test_signed_payload_with_wrong_json_is_malformed(payload: object) -> None:
    error = refused(SECRET, signed_json(payload))

    assert type(error) is InvalidLink
    assert str(error) == "link is malformed"


def test_hand_built_payload_in_the_right_form_verifies() -> None:
    """The forging helper itself is right: the same payload, well formed, is accepted."""
    claims = verify_link(SECRET, signed_json(GOOD_PAYLOAD), BEFORE)

    assert claims == LinkClaims(
        incident_id=INCIDENT_ID, action=LinkAction.ACKNOWLEDGE, responder="amara", expires_at=EXPIRES_AT
    )


def test_link_errors_belong_to_the_project_hierarchy() -> None:
    assert issubclass(InvalidLink, LinkError) and issubclass(ExpiredLink, LinkError)
    assert issubclass(LinkError, IncidentPipelineError)
    assert not issubclass(ExpiredLink, InvalidLink)
    assert (LinkError.code, InvalidLink.code, ExpiredLink.code) == ("LinkError", "InvalidLink", "ExpiredLink")


# ---- key rotation ------------------------------------------------------------------------------------


def test_token_signed_with_the_old_secret_verifies_while_it_is_listed() -> None:
    old = token(secret=OLD_SECRET)

    assert verify_link([SECRET, OLD_SECRET], old, BEFORE).responder == "amara"
    assert verify_link([SECRET, OLD_SECRET], token(secret=SECRET), BEFORE).responder == "amara"


def test_token_signed_with_a_dropped_secret_is_refused() -> None:
    error = refused([SECRET], token(secret=OLD_SECRET))

    assert type(error) is InvalidLink
    assert str(error) == "link signature does not match"


def test_expired_old_token_is_expired_not_mismatched() -> None:
    error = refused([SECRET, OLD_SECRET], token(secret=OLD_SECRET), EXPIRES_AT)

    assert type(error) is ExpiredLink
    assert str(error) == "link expired at 2026-11-29 09:00:00 UTC"


# ---- programming errors (not link errors) ------------------------------------------------------------


@pytest.mark.parametrize(
    ("secret", "message"),
    [
        ([], "verify_link needs at least one secret"),
        (b"", "a link secret must be non-empty bytes"),
        ([SECRET, b""], "a link secret must be non-empty bytes"),
    ],
)
def test_verify_needs_real_secrets(secret: bytes | list[bytes], message: str) -> None:
    with pytest.raises(ValueError) as caught:
        verify_link(secret, token(), BEFORE)

    assert str(caught.value) == message


def test_verify_needs_an_aware_now() -> None:
    with pytest.raises(ValueError) as caught:
        verify_link(SECRET, token(), datetime(2026, 11, 29, 8, 0, 0))

    assert str(caught.value) == "now must be timezone-aware"


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ((b"", INCIDENT_ID, "amara", EXPIRES_AT), "a link secret must be non-empty bytes"),
        ((SECRET, "", "amara", EXPIRES_AT), "a link needs an incident id and a responder"),
        ((SECRET, INCIDENT_ID, "", EXPIRES_AT), "a link needs an incident id and a responder"),
        ((SECRET, INCIDENT_ID, "amara", datetime(2026, 11, 29, 9)), "expires_at must be timezone-aware"),
        (
            (SECRET, INCIDENT_ID, "amara", datetime(1969, 12, 31, 23, 59, 59, tzinfo=UTC)),
            "expires_at 1969-12-31T23:59:59+00:00 is outside 1970..9999",
        ),
    ],
)
def test_sign_refuses_what_could_never_verify(arguments: tuple[bytes, str, str, datetime], message: str) -> None:
    secret, incident_id, responder, expires_at = arguments
    with pytest.raises(ValueError) as caught:
        sign_link(secret, incident_id, LinkAction.ACKNOWLEDGE, responder, expires_at)

    assert str(caught.value) == message


# ---- which links a page carries ----------------------------------------------------------------------

BOTH = (LinkAction.ACKNOWLEDGE, LinkAction.RESOLVE)


@pytest.mark.parametrize(
    ("kind", "actions"),
    [
        ("escalation", BOTH),
        ("sla_warning", BOTH),
        ("sla_breach", BOTH),
        ("exhausted", (LinkAction.ACKNOWLEDGE,)),
        ("reassigned", (LinkAction.ACKNOWLEDGE,)),
        ("resolved", ()),
    ],
)
def test_link_actions_by_page_kind(kind: str, actions: tuple[LinkAction, ...]) -> None:
    assert link_actions(kind) == actions
