"""Control characters and numbers for dates in a report: refused at the edges, repaired when read back from Temporal."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError
from temporalio.contrib.pydantic import pydantic_data_converter

from domain.messages.steps import IncidentInput
from domain.models import IncidentReport, format_validation_error
from domain.policy.catalog import User
from domain.text import first_control_character, replace_control_characters, without_control_characters

VALID: dict[str, Any] = {
    "title": "Checkout fails",
    "service": "shop-payments",
    "category": "application_error",
    "source": "monitoring",
    "impact": "all_users",
    "urgency": "high",
    "reporter": "checkout-monitor",
}
ONE_LINE = "must not contain control characters or line breaks"
LINES = "must not contain control characters other than line feed and tab"
NOT_A_DATE = (
    "occurred_at: must be an ISO 8601 date and time with a time zone, such as 2026-11-28T06:00:00Z: "
    "a number is not a date"
)


def refusal(changes: dict[str, Any]) -> str:
    with pytest.raises(ValidationError) as refused:
        IncidentReport.model_validate(VALID | changes)
    return format_validation_error(refused.value)


# ---- domain.text ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "single", "multi"),
    [
        ("plain text, ünïcode — fine", None, None),
        ("a\x00b", "U+0000", "U+0000"),
        ("bell\x07", "U+0007", "U+0007"),
        ("tab\tthen\x1b[31m", "U+0009", "U+001B"),
        ("line\nbreak", "U+000A", None),
        ("cr\r", "U+000D", "U+000D"),
        ("del\x7f", "U+007F", "U+007F"),
        ("c1\x85 \x9b", "U+0085", "U+0085"),
        ("separator\u2028", "U+2028", None),
        ("paragraph\u2029", "U+2029", None),
        ("\x1f", "U+001F", "U+001F"),
        ("\xa0 is a space, not a control", None, None),
    ],
)
def test_first_control_character(text: str, single: str | None, multi: str | None) -> None:
    assert first_control_character(text) == single
    assert first_control_character(text, multiline=True) == multi


@pytest.mark.parametrize(
    ("text", "single", "multi"),
    [
        ("Pay\x00ments\x07 fail\x1b[2J", "Payments fail[2J", "Payments fail[2J"),
        ("one\r\ntwo\nthree\tfour", "one two three four", "one\ntwo\nthree\tfour"),
        ("lone\rcarriage return", "lone carriage return", "lone\ncarriage return"),
        ("a\u2028b\x85c\x0bd\x1ce", "a b c d e", "a\u2028bcde"),
        ("\x7f\x9f", "", ""),
    ],
)
def test_without_control_characters(text: str, single: str, multi: str) -> None:
    assert without_control_characters(text) == single
    assert without_control_characters(text, multiline=True) == multi


def test_replace_control_characters_keeps_the_length() -> None:
    assert replace_control_characters("a\x00b\nc\td") == "a\ufffdb\ufffdc\ufffdd"
    assert replace_control_characters("a\x00b\nc\td", multiline=True) == "a\ufffdb\nc\td"


# ---- the report at the edges: refused, naming the field and the character ------------------------------------


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"title": "Pay\x00ments failing"}, f"title: {ONE_LINE} (found U+0000)"),
        ({"title": "Payments\x1b[31m failing"}, f"title: {ONE_LINE} (found U+001B)"),
        ({"title": "Payments failing\x07 now"}, f"title: {ONE_LINE} (found U+0007)"),
        ({"title": "Payments\nfailing"}, f"title: {ONE_LINE} (found U+000A)"),
        ({"title": "Payments\tfailing"}, f"title: {ONE_LINE} (found U+0009)"),
        ({"title": "Payments\u2028failing"}, f"title: {ONE_LINE} (found U+2028)"),
        ({"title": "Payments\x9bfailing"}, f"title: {ONE_LINE} (found U+009B)"),
        ({"reporter": "mon\x00itor"}, f"reporter: {ONE_LINE} (found U+0000)"),
        ({"dedup_key": "checkout\r\nX-Forged: 1"}, f"dedup_key: {ONE_LINE} (found U+000D)"),
        ({"service": "shop\x00payments"}, "service: String should match pattern '^[a-z0-9][a-z0-9._-]*$'"),
        ({"description": "first line\n\x1b[2Jsecond"}, f"description: {LINES} (found U+001B)"),
        ({"description": "a lone\rreturn"}, f"description: {LINES} (found U+000D)"),
        ({"description": "NUL\x00"}, f"description: {LINES} (found U+0000)"),
        ({"labels": {"re\x00gion": "eu"}}, f"labels: Value error, label name 're\\x00gion' {ONE_LINE} (found U+0000)"),
        ({"labels": {"region": "eu\nwest"}}, f"labels: Value error, label 'region' {ONE_LINE} (found U+000A)"),
        ({"labels": {"region": "eu\x1b"}}, f"labels: Value error, label 'region' {ONE_LINE} (found U+001B)"),
        ({"title": "Pay\x00ments", "description": "\x07"},
         f"title: {ONE_LINE} (found U+0000); description: {LINES} (found U+0007)"),
    ],
)  # fmt: skip
def test_a_control_character_is_refused_naming_the_field(changes: dict[str, Any], message: str) -> None:
    assert refusal(changes) == message


def test_a_description_keeps_line_feeds_and_tabs_and_reads_crlf_as_a_line_feed() -> None:
    report = IncidentReport.model_validate(VALID | {"description": "Steps:\r\n\t1. pay\n\t2. see 502\r\n"})
    assert report.description == "Steps:\n\t1. pay\n\t2. see 502"


def test_line_breaks_around_a_title_are_whitespace_and_stripped() -> None:
    report = IncidentReport.model_validate(VALID | {"title": "\r\n Checkout fails \n"})
    assert report.title == "Checkout fails"


# ---- the report read back from Temporal (JSON): repaired, never refused -----------------------------------------


def test_a_report_from_before_the_rule_still_decodes_from_history() -> None:
    """An open incident opened by an older version may hold control characters; refusing them would wedge it."""
    old_report = IncidentReport.model_construct(
        **(
            VALID
            | {
                "title": "Pay\x00ments\x1b[31m failing\nnow",
                "description": "a\r\nb\x07\tc",
                "reporter": "mon\x07itor",
                "dedup_key": "key\x00",
                "labels": {"re\x00gion": "eu\x1b"},
                "occurred_at": None,
            }
        )
    )
    stored = IncidentInput.model_construct(incident_id="INC-OLD", report=old_report, state=None, history_limit=10_000)
    payload = pydantic_data_converter.payload_converter.to_payload(stored)
    assert payload is not None

    decoded = pydantic_data_converter.payload_converter.from_payload(payload, IncidentInput)

    assert isinstance(decoded, IncidentInput)
    report = decoded.report
    assert (report.title, report.description, report.reporter, report.dedup_key, report.labels) == (
        "Pay\ufffdments\ufffd[31m failing\ufffdnow",
        "a\nb\ufffd\tc",
        "mon\ufffditor",
        "key\ufffd",
        {"re\ufffdgion": "eu\ufffd"},
    )


def test_a_clean_report_reads_back_unchanged() -> None:
    report = IncidentReport.model_validate(
        VALID | {"description": "line one\n\tline two", "labels": {"region": "eu"}, "dedup_key": "chk-1"}
    )
    assert IncidentReport.model_validate_json(report.model_dump_json()) == report


# ---- occurred_at: a date written as one, never a number ---------------------------------------------------------


@pytest.mark.parametrize("value", [0, 0.0, -1, 1764316800, 1764316800.5, "0", "1764316800", " 42 ", "1.5", "1e9"])
def test_a_number_is_not_a_date(value: object) -> None:
    assert refusal({"occurred_at": value}) == NOT_A_DATE


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (True, "occurred_at: Input should be a valid datetime"),
        ("2026-11-28T06:00:00", "occurred_at: Input should have timezone info"),
        ("yesterday", "occurred_at: Input should be a valid datetime or date, input is too short"),
    ],
)
def test_other_bad_dates_keep_pydantic_s_message(value: object, message: str) -> None:
    assert refusal({"occurred_at": value}) == message


@pytest.mark.parametrize(
    ("value", "moment"),
    [
        ("2026-11-28T06:00:00Z", datetime(2026, 11, 28, 6, 0, tzinfo=UTC)),
        ("2026-11-28T07:00:00+01:00", datetime(2026, 11, 28, 6, 0, tzinfo=UTC)),
        (datetime(2026, 11, 28, 6, 0, tzinfo=UTC), datetime(2026, 11, 28, 6, 0, tzinfo=UTC)),
    ],
)
def test_a_date_is_a_date(value: object, moment: datetime) -> None:
    assert IncidentReport.model_validate(VALID | {"occurred_at": value}).occurred_at == moment


# ---- the catalog: an address goes into a header -----------------------------------------------------------------


def test_a_catalog_email_address_with_a_control_character_is_refused() -> None:
    with pytest.raises(ValidationError) as refused:
        User(name="Amara Okafor", email="amara\x00@shop.example")
    assert format_validation_error(refused.value) == (
        "email: Value error, 'amara\\x00@shop.example' is not one email address like amara@shop.example"
    )
