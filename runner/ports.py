"""The outside services a campaign talks to, as the campaign sees them.

One real adapter each lives in runner/adapters/; the composition root (runner.composition) builds
them from settings. Tests drive the same adapters against local servers.
"""

from dataclasses import dataclass
from typing import Protocol

from runner.messages.prompt import MessageRequest


class GenerationFailed(Exception):
    """A whole request to the model failed; `reason` goes to history as the fallback reason."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


class MessageGenerator(Protocol):
    def generate(self, requests: list[MessageRequest]) -> dict[str, str]:
        """Texts by client_ref (clients the model skipped are absent); raise GenerationFailed."""


@dataclass(frozen=True)
class Delivery:
    """What the gateway did with one message.

    `sent`: accepted, with its message id. `failed`: certainly not delivered, safe to retry in a
    later run. `unknown`: the request left and no answer came back; never resent automatically.
    """

    status: str  # 'sent' | 'failed' | 'unknown'
    message_id: str | None = None
    error: str | None = None


class MessageSender(Protocol):
    def send(self, phone: str, text: str) -> Delivery: ...


class ContextStore(Protocol):
    def save(self, company_id: int, phone: str, context: "DialogContext") -> None:
        """Write the context for the bot; raise ContextStoreError when Redis fails."""


class ContextStoreError(Exception):
    pass


@dataclass(frozen=True)
class DialogContext:
    """What the bot needs when the client replies (facts/bot-interfaces.md)."""

    pending_action: dict
    client_name: str | None
    message_text: str
    sent_at: str  # ISO timestamp

    def to_payload(self) -> dict:
        """The durable copy kept in history (`context_payload`), for `contexts replay`."""
        return {
            "pendingAction": self.pending_action,
            "clientName": self.client_name,
            "messageText": self.message_text,
            "sentAt": self.sent_at,
        }

    @property
    def suggested_service_title(self) -> str | None:
        service = self.pending_action.get("suggestedService") or {}
        return service.get("name") or None

    @classmethod
    def from_payload(cls, payload: dict) -> "DialogContext":
        return cls(
            payload["pendingAction"],
            payload.get("clientName"),
            payload["messageText"],
            payload["sentAt"],
        )


class RateLimiter(Protocol):
    def acquire(self, timeout_seconds: float) -> bool:
        """Wait for a slot; False when none came within the timeout."""

    def block_for(self, seconds: float) -> None:
        """Tell every process sharing the limit to wait (the API said so, e.g. a 429)."""
