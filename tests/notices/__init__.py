"""Notices that reach the subject (issue 20): outbox, SMTP delivery, API, CLI and portal."""
