"""Access reviews: schedule, items and decisions, reminders and escalation, reports (AR-01..AR-05)."""
