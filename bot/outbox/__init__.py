"""The outbox: campaigns launched into rows, rows delivered, outcomes recorded, links followed."""
