"""Alerts an operator must see: an error log line always, and Sentry when SENTRY_DSN is set."""

import logging

from runner.redaction import redact

log = logging.getLogger("runner.alerts")
_sentry_ready = False


def configure_alerts(sentry_dsn: str | None) -> None:
    """Start Sentry once, if configured; the DSN is a secret and is never logged."""
    global _sentry_ready
    if sentry_dsn and not _sentry_ready:
        import sentry_sdk

        sentry_sdk.init(dsn=sentry_dsn, send_default_pii=False)
        _sentry_ready = True


def alert(message: str) -> None:
    message = redact(message)  # it may quote a gateway's or Gemini's error
    log.error("ALERT: %s", message)
    if _sentry_ready:
        import sentry_sdk

        sentry_sdk.capture_message(message, level="error")
