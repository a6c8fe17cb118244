"""Intake formats: Alertmanager webhooks and PagerDuty Events v2 translated into a report and a trigger."""
