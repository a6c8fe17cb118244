"""Policy and catalog: the catalog's schema, routing rules, priority matrix, SLA targets, escalation steps, on-call
schedules, maintenance windows, snooze bounds and notification retries; data and pure functions of time."""
