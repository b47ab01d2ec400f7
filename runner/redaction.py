"""Text we print or store, with the secrets and full phone numbers taken out.

Much of it we did not write: a gateway's error, Gemini's, an exception's. So every log line
(through `RedactingFilter`), every stored error and every alert passes `redact` on its way out.
"""

import logging

from runner.phones import mask_phones_in

_secrets: set[str] = set()
_MIN_SECRET_CHARS = 6  # shorter values would blank out ordinary words


def remember_secrets(*values: str | None) -> None:
    """The configured secrets (API key, DSN, passwords): never printed or stored, whatever
    text carries them."""
    _secrets.update(value for value in values if value and len(value) >= _MIN_SECRET_CHARS)


def redact(text: str) -> str:
    for secret in sorted(_secrets, key=len, reverse=True):
        text = text.replace(secret, "***")
    return mask_phones_in(text)


class RedactingFilter(logging.Filter):
    """Applies `redact` to every record's final message."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True
