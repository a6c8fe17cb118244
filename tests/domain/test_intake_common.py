"""What every intake format shares: service names, labels within the report's limits, the key that folds triggers."""

from __future__ import annotations

import pytest

from domain.intake.common import incident_key, report_labels, service_name


@pytest.mark.parametrize(
    ("value", "name"),
    [
        ("checkout", "checkout"),
        ("Checkout API", "checkout-api"),
        ("Shop Payments (EU)", "shop-payments-eu"),
        ("node_exporter", "node_exporter"),
        ("api.v2", "api.v2"),
        ("_internal-", "internal"),
        ("Zürich/Web", "z-rich-web"),
        ("!!!", ""),
        ("a" * 150, "a" * 100),
    ],
)
def test_service_name(value: str, name: str) -> None:
    assert service_name(value) == name


def test_report_labels_keep_the_first_64_by_name() -> None:
    labels = {f"z{number:02d}": "v" for number in range(40)} | {f"a{number:02d}": "v" for number in range(40)}
    kept = report_labels(labels)
    assert list(kept) == [f"a{number:02d}" for number in range(40)] + [f"z{number:02d}" for number in range(24)]


def test_incident_key() -> None:
    assert incident_key("pagerduty", "pd", "abc") == "pagerduty:pd:abc"
    assert len(incident_key("alertmanager", "n" * 100, "k" * 300)) == 185
