"""Durations as the catalog writes them: 90s, 5m, 1h30m, 3d."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import TypeAdapter, ValidationError

from domain.durations import Duration, PositiveDuration, format_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("90s", timedelta(seconds=90)),
        ("5m", timedelta(minutes=5)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        ("3d", timedelta(days=3)),
        ("1d2h3m4s", timedelta(days=1, hours=2, minutes=3, seconds=4)),
        ("2h15s", timedelta(hours=2, seconds=15)),
        (" 5M ", timedelta(minutes=5)),
        ("0s", timedelta(0)),
    ],
)
def test_parse(text: str, value: timedelta) -> None:
    assert parse_duration(text) == value


@pytest.mark.parametrize("value", [300, 1.5, timedelta(minutes=2), "PT5M", "p1d", None])
def test_anything_else_is_left_for_pydantic(value: object) -> None:
    assert parse_duration(value) is value


@pytest.mark.parametrize("text", ["5 minutes", "", "   ", "1.5h", "30m1h", "-5m", "m", "5", "5w"])
def test_parse_refuses(text: str) -> None:
    with pytest.raises(ValueError) as refused:
        parse_duration(text)
    assert str(refused.value) == f"{text!r} is not a duration; write it like 90s, 5m, 1h30m or 3d"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (timedelta(seconds=90), "1m30s"),
        (timedelta(hours=1, minutes=30), "1h30m"),
        (timedelta(days=3), "3d"),
        (timedelta(hours=1, seconds=5), "1h5s"),
        (timedelta(days=1, hours=2, minutes=3, seconds=4), "1d2h3m4s"),
        (timedelta(0), "0s"),
        (timedelta(milliseconds=500), "0s"),
        (timedelta(seconds=-90), "-1m30s"),
    ],
)
def test_format(value: timedelta, text: str) -> None:
    assert format_duration(value) == text


@pytest.mark.parametrize(("text", "formatted"), [("90s", "1m30s"), ("1h30m", "1h30m"), ("3d", "3d"), ("36h", "1d12h")])
def test_round_trip(text: str, formatted: str) -> None:
    value = parse_duration(text)
    assert format_duration(value) == formatted
    assert parse_duration(format_duration(value)) == value


def test_a_duration_field_reads_every_form_and_writes_the_compact_one() -> None:
    adapter = TypeAdapter(Duration)
    assert adapter.validate_python("1h30m") == timedelta(hours=1, minutes=30)
    assert adapter.validate_python("PT5M") == timedelta(minutes=5)
    assert adapter.validate_python(90) == timedelta(seconds=90)
    assert adapter.dump_json(timedelta(hours=1, minutes=30)) == b'"1h30m"'
    assert adapter.dump_python(timedelta(minutes=5)) == timedelta(minutes=5)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("0s", "Value error, must be longer than zero"),
        (-5, "Value error, must be longer than zero"),
        ("soon", "Value error, 'soon' is not a duration; write it like 90s, 5m, 1h30m or 3d"),
    ],
)
def test_a_positive_duration_refuses(value: object, message: str) -> None:
    with pytest.raises(ValidationError) as refused:
        TypeAdapter(PositiveDuration).validate_python(value)
    assert [error["msg"] for error in refused.value.errors()] == [message]
