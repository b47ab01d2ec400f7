"""Sending through the bot's WhatsApp gateway (`POST {WHATSAPP_API_URL}/send`) with httpx.

At most once: a request that never reached the gateway (connection refused, connect timeout)
certainly did not deliver and is reported `failed`; a request that left and got no answer (read
timeout, dropped connection) may have delivered, so it is `unknown` and never retried here. The
gateway's own answers are trusted: 200 with success=true is `sent`, any error answer `failed`.
"""

import httpx

from runner.ports import Delivery
from runner.redaction import redact

MAX_MESSAGE_CHARS = 4096  # the gateway refuses longer messages


class GatewaySender:
    def __init__(self, base_url: str, timeout_seconds: float) -> None:
        self._client = httpx.Client(
            base_url=base_url.rstrip("/"),
            timeout=httpx.Timeout(timeout_seconds, connect=min(timeout_seconds, 5.0)),
        )

    def send(self, phone: str, text: str) -> Delivery:
        if len(text) > MAX_MESSAGE_CHARS:
            return Delivery("failed", error=f"message longer than {MAX_MESSAGE_CHARS} characters")
        try:
            response = self._client.post("/send", json={"phone": phone, "message": text})
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as error:
            return Delivery("failed", error=f"gateway unreachable: {_describe(error)}")
        except httpx.TransportError as error:
            # Read/write timeouts, a dropped connection: the request may have been delivered.
            return Delivery("unknown", error=f"no answer from the gateway: {_describe(error)}")
        return _delivery(response)

    def close(self) -> None:
        self._client.close()


def _delivery(response: httpx.Response) -> Delivery:
    try:
        body = response.json()
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    if response.status_code == 200 and body.get("success") is True:
        return Delivery("sent", message_id=str(body.get("messageId") or "") or None)
    if response.status_code == 200:
        # The gateway answered but did not say it sent; treat as delivered-unknown, not resend.
        return Delivery("unknown", error=_foreign(f"gateway answered 200 without success: {body}"))
    error = body.get("error") or response.reason_phrase
    return Delivery("failed", error=_foreign(f"gateway HTTP {response.status_code}: {error}"))


def _foreign(text: str) -> str:
    """The gateway's own words, which may name the client's phone: masked, then cut."""
    return redact(text)[:300]


def _describe(error: Exception) -> str:
    return redact(str(error)) or type(error).__name__
