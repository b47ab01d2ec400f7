"""Messages from Gemini through google-genai: several clients per request, JSON answers.

The SDK's own retry is left off: it ignores the `RetryInfo` delay a 429 carries. We honour that
delay (shared with every process through the rate limiter), else back off exponentially with
jitter, a bounded number of times (tenacity runs the loop), and then give up so the campaign
falls back to templates.
"""

import json
import logging
import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass

import tenacity
from google import genai
from google.genai import errors, types

from runner.messages.prompt import ClientMessage, MessageRequest, build_prompt
from runner.ports import GenerationFailed, RateLimiter

log = logging.getLogger(__name__)
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)s\s*$")


class _RetryAfter(Exception):
    """A failed attempt worth repeating after `delay` seconds."""

    def __init__(self, failure: GenerationFailed, delay: float) -> None:
        super().__init__(str(failure))
        self.failure, self.delay = failure, delay


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 4  # requests per batch, the first included
    base_delay_seconds: float = 2.0
    max_delay_seconds: float = 30.0  # a longer RetryInfo delay means the quota is gone: fall back
    slot_timeout_seconds: float = 180.0  # longest wait for a rate-limit slot


class GeminiGenerator:
    def __init__(
        self,
        *,
        api_key: str,
        model: str,
        base_url: str | None,
        timeout_seconds: float,
        limiter: RateLimiter,
        policy: RetryPolicy = RetryPolicy(),
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        http_options = types.HttpOptions(
            base_url=base_url, timeout=int(timeout_seconds * 1000), retry_options=None
        )
        self._client = genai.Client(api_key=api_key, http_options=http_options)
        self._model = model
        self._limiter = limiter
        self._policy = policy
        self._sleep = sleep
        self._config = types.GenerateContentConfig(
            response_mime_type="application/json",
            response_schema=list[ClientMessage],
            temperature=0.8,
        )

    def generate(self, requests: list[MessageRequest]) -> dict[str, str]:
        prompt = build_prompt(requests)
        retrying = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(self._policy.attempts),
            retry=tenacity.retry_if_exception_type(_RetryAfter),
            # The wait is the one the failure asked for: a 429's RetryInfo, else the backoff.
            wait=lambda state: state.outcome.exception().delay,
            sleep=self._sleep,
            before_sleep=lambda state: log.warning(
                "Gemini %s, retrying in %.1f s",
                state.outcome.exception().failure,
                state.outcome.exception().delay,
            ),
            reraise=True,
        )
        try:
            for attempt in retrying:
                with attempt:
                    return self._attempt(prompt, attempt.retry_state.attempt_number - 1)
        except _RetryAfter as last:
            raise last.failure from None
        raise AssertionError("tenacity ended without an outcome")  # unreachable: reraise=True

    def _attempt(self, prompt: str, attempt: int) -> dict[str, str]:
        """One request (attempt 0 is the first); a failure worth another attempt is raised as
        _RetryAfter."""
        if not self._limiter.acquire(self._policy.slot_timeout_seconds):
            raise GenerationFailed("rate_limited", "no request slot in time")
        try:
            response = self._client.models.generate_content(
                model=self._model, contents=prompt, config=self._config
            )
        except errors.APIError as error:
            failure, delay = self._classify(error, attempt)
        except Exception as error:  # transport errors: the SDK's HTTP stack varies by version
            failure, delay = _transport_failure(error), self._backoff(attempt)
        else:
            return _messages_by_ref(response)
        if delay is None:
            raise failure
        raise _RetryAfter(failure, delay)

    def _classify(self, error: errors.APIError, attempt: int):
        if error.code == 429:
            delay = retry_delay_seconds(error.details) or self._backoff(attempt)
            if delay > self._policy.max_delay_seconds:
                return GenerationFailed("rate_limited", f"quota resets in {delay:.0f} s"), None
            self._limiter.block_for(delay)  # everyone sharing the quota waits, not just us
            return GenerationFailed("rate_limited", error.message or ""), delay
        if error.code in (500, 502, 503, 504):
            return GenerationFailed("api_error", f"HTTP {error.code}"), self._backoff(attempt)
        if error.code in (401, 403):
            return GenerationFailed("api_key_rejected", f"HTTP {error.code}"), None
        return GenerationFailed("api_error", f"HTTP {error.code} {error.message or ''}"), None

    def _backoff(self, attempt: int) -> float:
        ceiling = min(self._policy.max_delay_seconds, self._policy.base_delay_seconds * 2**attempt)
        return ceiling * random.uniform(0.5, 1.0)

    def close(self) -> None:
        self._client.close()


def _transport_failure(error: Exception) -> GenerationFailed:
    kind = "timeout" if "timeout" in type(error).__name__.lower() else "api_error"
    return GenerationFailed(kind, f"{type(error).__name__}: {error}"[:200])


def retry_delay_seconds(details: object) -> float | None:
    """The `retryDelay` of the RetryInfo entry in a 429's body ('12s' -> 12.0), if any."""
    if not isinstance(details, dict):
        return None
    entries = (details.get("error") or {}).get("details") or []
    for entry in entries:
        if isinstance(entry, dict) and str(entry.get("@type", "")).endswith("RetryInfo"):
            match = _DURATION.match(str(entry.get("retryDelay", "")))
            if match:
                return float(match.group(1))
    return None


def _messages_by_ref(response: types.GenerateContentResponse) -> dict[str, str]:
    parsed = response.parsed
    if parsed is None:
        # The SDK could not parse the text against the schema; try the raw JSON once.
        try:
            parsed = [ClientMessage.model_validate(item) for item in json.loads(response.text)]
        except (TypeError, ValueError) as error:
            raise GenerationFailed("malformed_response", str(error)[:200]) from None
    return {item.client_ref: item.message for item in parsed if isinstance(item, ClientMessage)}
