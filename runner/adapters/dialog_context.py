"""The dialog context the bot reads when a client replies, written into the bot's own Redis keys.

`dialog:{company}:whatsapp:{phone}` is the bot's hash: we set only our fields (pendingAction,
clientName, state, phone, companyId, lastUpdated) so its `selection` and the rest survive. The
unmodified bot never reads pendingAction, but its prompts do see `selection`: when the bot holds
no selection of its own we put the suggested service there, in its format ({"service": title}),
so its next answer starts from what we offered. The bot caches the whole context for 5 minutes
under `full_ctx:`; we drop that cache so its next read sees our write.

The bot refreshes a 24 h TTL on each update, shorter than the 72 h in which clients answer, so
we extend the TTL to the time left of the reply window - never shortening a longer one - and
`refresh` extends it again after the bot cut it. Each operation is one Lua script, so the hash,
the messages list and their TTLs change together and the bot's WATCH sees one change.
"""

import json
from datetime import UTC, datetime

import redis

from runner.ports import ContextStoreError, DialogContext

MESSAGES_KEPT = 50  # the bot trims its messages list to 50

# Shared by both scripts. KEYS: dialog hash, messages list, then the bot's full-context caches.
# ARGV[1] fields (flat JSON list), ARGV[2] our messages entry, ARGV[3] ttl, ARGV[4] list length,
# ARGV[5] the suggested service title ('' = none).
_HELPERS = """
local function selection_is_empty(raw)
    -- The bot stores JSON.stringify(selection); it is empty when it names nothing to book.
    if not raw or raw == '' or raw == 'null' then return true, {} end
    local ok, selection = pcall(cjson.decode, raw)
    if not ok or type(selection) ~= 'table' then return false end
    for _, field in ipairs({'service', 'staff', 'date', 'time'}) do
        local value = selection[field]
        if value ~= nil and value ~= cjson.null and value ~= '' then return false end
    end
    return true, selection
end

local function write_context()
    redis.call('hset', KEYS[1], unpack(cjson.decode(ARGV[1])))
    if ARGV[5] ~= '' then
        local empty, selection = selection_is_empty(redis.call('hget', KEYS[1], 'selection'))
        if empty then
            selection['service'] = ARGV[5]
            redis.call('hset', KEYS[1], 'selection', cjson.encode(selection))
        end
    end
    redis.call('del', KEYS[3], KEYS[4])
end

local function extend(key, ttl)
    -- -2 missing, -1 kept forever: neither is shortened or given a TTL here.
    local left = redis.call('ttl', key)
    if left >= 0 and left < ttl then
        redis.call('expire', key, ttl)
        return true
    end
    return false
end
"""

_SAVE = (
    _HELPERS
    + """
local ttl = tonumber(ARGV[3])
local missing = {}
for i = 1, 2 do missing[i] = redis.call('exists', KEYS[i]) == 0 end
write_context()
redis.call('lpush', KEYS[2], ARGV[2])
redis.call('ltrim', KEYS[2], 0, tonumber(ARGV[4]) - 1)
for i = 1, 2 do
    if missing[i] then redis.call('expire', KEYS[i], ttl) else extend(KEYS[i], ttl) end
end
return 1
"""
)

# ARGV[6] our history id, ARGV[7] when our message went out (UTC, 'YYYY-MM-DDTHH:MM:SS').
_REFRESH = (
    _HELPERS
    + """
local ttl = tonumber(ARGV[3])

local function client_replied()
    for _, raw in ipairs(redis.call('lrange', KEYS[2], 0, -1)) do
        local ok, entry = pcall(cjson.decode, raw)
        if ok and type(entry) == 'table' and entry.sender == 'user'
            and type(entry.timestamp) == 'string'
            and string.sub(entry.timestamp, 1, 19) >= ARGV[7] then
            return true
        end
    end
    return false
end

if redis.call('exists', KEYS[1]) == 1 then
    local raw = redis.call('hget', KEYS[1], 'pendingAction')
    local ok, action = false, nil
    if raw then ok, action = pcall(cjson.decode, raw) end
    if not ok or type(action) ~= 'table' or action.type ~= 'reactivation_response'
        or tostring(action.reactivationHistoryId) ~= ARGV[6] then
        return 'moved_on'
    end
    if client_replied() then return 'replied' end
    local extended = extend(KEYS[1], ttl)
    extended = extend(KEYS[2], ttl) or extended
    if extended then return 'extended' end
    return 'kept'
end
if client_replied() then return 'replied' end
-- Gone although the client never answered (the bot's 24 h TTL ran out): write it again.
write_context()
redis.call('expire', KEYS[1], ttl)
if redis.call('exists', KEYS[2]) == 0 then
    redis.call('lpush', KEYS[2], ARGV[2])
    redis.call('expire', KEYS[2], ttl)
end
return 'restored'
"""
)


def dialog_key(company_id: int, phone: str) -> str:
    return f"dialog:{company_id}:whatsapp:{phone}"


def messages_key(company_id: int, phone: str) -> str:
    return f"messages:{company_id}:whatsapp:{phone}"


def full_context_keys(company_id: int, phone: str) -> list[str]:
    # The bot's context service keys its cache with the platform; the older form without it
    # is dropped too (deleting a missing key costs nothing).
    return [f"full_ctx:{company_id}:whatsapp:{phone}", f"full_ctx:{company_id}:{phone}"]


class RedisContextStore:
    def __init__(self, client: redis.Redis, reply_window_hours: int) -> None:
        self._client = client
        self._ttl_seconds = reply_window_hours * 3600
        self._save = client.register_script(_SAVE)
        self._refresh = client.register_script(_REFRESH)

    def save(
        self, company_id: int, phone: str, context: DialogContext, ttl_seconds: int | None = None
    ) -> None:
        """Write our fields; keep the keys alive `ttl_seconds` (default: the reply window)."""
        ttl = self._ttl_seconds if ttl_seconds is None else ttl_seconds
        self._run(self._save, company_id, phone, context, ttl)

    def refresh(
        self, company_id: int, phone: str, context: DialogContext, history_id: int, ttl_seconds: int
    ) -> str:
        """Keep an unanswered context alive `ttl_seconds` more; say what was done.

        'extended' or 'kept' (ours, TTL now long enough), 'restored' (the bot's TTL had dropped
        the hash; written again), 'replied' (the client answered: the bot has it) or 'moved_on'
        (pendingAction gone, replaced or of another type: the dialog is the bot's now).
        """
        extra = [history_id, _utc_prefix(context.sent_at)]
        return self._run(self._refresh, company_id, phone, context, ttl_seconds, extra)

    def _run(self, script, company_id, phone, context, ttl, extra=()):
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
        keys = [
            dialog_key(company_id, phone),
            messages_key(company_id, phone),
            *full_context_keys(company_id, phone),
        ]
        args = [json.dumps(flat, ensure_ascii=False), entry, ttl, MESSAGES_KEPT]
        args.append(context.suggested_service_title or "")
        try:
            answer = script(keys=keys, args=[*args, *extra])
        except redis.RedisError as error:
            raise ContextStoreError(str(error) or type(error).__name__) from error
        return answer.decode() if isinstance(answer, bytes) else answer


def _utc_prefix(iso_timestamp: str) -> str:
    """'2026-11-24T07:00:00+00:00' -> '2026-11-24T07:00:00', comparable with the bot's
    `new Date().toISOString()` stamps as text."""
    return datetime.fromisoformat(iso_timestamp).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")
