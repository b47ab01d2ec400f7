"""The dialog context the bot reads when a client replies, written into the bot's own Redis keys.

`dialog:{company}:whatsapp:{phone}` is the bot's hash: we set only our fields (pendingAction,
clientName, state, phone, companyId, lastUpdated) so its `selection` and the rest survive. The
bot refreshes a 24 h TTL on each update, shorter than the 72 h in which clients answer, so we
extend the TTL to the reply window - never shortening a longer one. One Lua script makes the
hash, the messages list and both TTLs change together.
"""

import json

import redis

from runner.ports import ContextStoreError, DialogContext

MESSAGES_KEPT = 50  # the bot trims its messages list to 50

_SAVE = """
local ttl = tonumber(ARGV[3])
local before = {}
for i, key in ipairs(KEYS) do
    before[i] = redis.call('ttl', key)  -- -2 missing, -1 kept forever
end
redis.call('hset', KEYS[1], unpack(cjson.decode(ARGV[1])))
redis.call('lpush', KEYS[2], ARGV[2])
redis.call('ltrim', KEYS[2], 0, tonumber(ARGV[4]) - 1)
for i, key in ipairs(KEYS) do
    if before[i] ~= -1 and before[i] < ttl then
        redis.call('expire', key, ttl)
    end
end
return 1
"""


def dialog_key(company_id: int, phone: str) -> str:
    return f"dialog:{company_id}:whatsapp:{phone}"


def messages_key(company_id: int, phone: str) -> str:
    return f"messages:{company_id}:whatsapp:{phone}"


class RedisContextStore:
    def __init__(self, client: redis.Redis, reply_window_hours: int) -> None:
        self._client = client
        self._ttl_seconds = reply_window_hours * 3600
        self._save = client.register_script(_SAVE)

    def save(
        self, company_id: int, phone: str, context: DialogContext, ttl_seconds: int | None = None
    ) -> None:
        """Write our fields; keep the keys alive `ttl_seconds` (default: the reply window)."""
        fields = {
            "phone": phone,
            "companyId": str(company_id),
            "state": "active",
            "lastUpdated": context.sent_at,
            "pendingAction": json.dumps(context.pending_action, ensure_ascii=False),
        }
        if context.client_name:
            fields["clientName"] = context.client_name
        flat = [item for pair in fields.items() for item in pair]
        entry = json.dumps(
            {"sender": "bot", "text": context.message_text, "timestamp": context.sent_at},
            ensure_ascii=False,
        )
        try:
            self._save(
                keys=[dialog_key(company_id, phone), messages_key(company_id, phone)],
                args=[
                    json.dumps(flat, ensure_ascii=False),
                    entry,
                    self._ttl_seconds,
                    MESSAGES_KEPT,
                ],
            )
        except redis.RedisError as error:
            raise ContextStoreError(str(error) or type(error).__name__) from error
