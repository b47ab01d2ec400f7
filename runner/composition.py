"""The composition root: the one place that turns settings into real adapters for a campaign."""

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import TYPE_CHECKING

from runner.adapters.dialog_context import RedisContextStore
from runner.adapters.gateway import GatewaySender
from runner.adapters.rate_limiter import RedisRateLimiter
from runner.campaign import Outreach
from runner.config import Settings
from runner.connections import Services, connect, redis_client
from runner.errors import ConfigurationError

if TYPE_CHECKING:
    from runner.adapters.gemini import RetryPolicy

# The limiter's key; the bot can share the quota by using the same one (see README).
GEMINI_LIMIT_NAME = "gemini"


def needs_redis(settings: Settings, live: bool) -> bool:
    """Redis holds the bot's contexts (live runs) and the shared Gemini limit (with a key)."""
    return live or settings.gemini_api_key is not None


@contextmanager
def campaign_adapters(
    settings: Settings,
    services: Services,
    *,
    live: bool,
    limit_name: str = GEMINI_LIMIT_NAME,
    retry_policy: "RetryPolicy | None" = None,
    context_redis_url: str | None = None,
) -> Iterator[dict]:
    """Open connections and clients for campaigns; close them all on the way out.

    The keyword arguments are for tests: a limit of their own (the shared one would carry other
    tests' requests), faster retries, and a Redis for the contexts other than the limiter's."""
    if live and not settings.whatsapp_api_url:
        raise ConfigurationError(
            "WHATSAPP_API_URL is not set: point it at the bot's gateway, "
            "e.g. http://127.0.0.1:3003 (or leave out --live for a dry run)"
        )
    with ExitStack() as stack:
        conn = stack.enter_context(connect(services.postgres, autocommit=True))
        adapters = {"conn": conn, "generator": None, "sender": None, "contexts": None}
        if settings.gemini_api_key:
            # google-genai takes 0.6 s to import: only the campaigns that use Gemini pay it, not
            # every build, report or dry run without a key.
            from runner.adapters.gemini import GeminiGenerator, RetryPolicy

            limiter = RedisRateLimiter(services.redis_url, limit_name, settings.gemini_rpm)
            stack.callback(limiter.close)
            generator = GeminiGenerator(
                api_key=settings.gemini_api_key,
                model=settings.gemini_model,
                base_url=settings.gemini_base_url,
                timeout_seconds=settings.gemini_timeout_seconds,
                limiter=limiter,
                policy=retry_policy or RetryPolicy(),
            )
            stack.callback(generator.close)
            adapters["generator"] = generator
        if live:
            sender = GatewaySender(settings.whatsapp_api_url, settings.send_timeout_seconds)
            stack.callback(sender.close)
            adapters["sender"] = sender
            adapters["contexts"] = context_store(settings, services, stack, context_redis_url)
        yield adapters


def context_store(
    settings: Settings, services: Services, stack: ExitStack, redis_url: str | None = None
) -> RedisContextStore:
    client = redis_client(redis_url or services.redis_url)
    stack.callback(client.close)
    return RedisContextStore(client, settings.reply_window_hours)


def outreach_from(
    adapters: dict, settings: Settings, services: Services, **hooks: object
) -> Outreach:
    """The campaign's tools from opened adapters; `hooks` set Outreach's callbacks, stop event
    and clock. A lost connection is replaced for recording the end of a run."""
    return Outreach(
        conn=adapters["conn"],
        settings=settings,
        sender=adapters["sender"],
        contexts=adapters["contexts"],
        generator=adapters["generator"],
        reconnect=lambda: connect(services.postgres, autocommit=True),
        **hooks,
    )
