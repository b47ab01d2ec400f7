"""One salon's campaign: for each candidate in priority order decide, write, send, hand the
conversation to the bot, and record what happened.

The order of writes is what makes it safe (see docs/decisions/0005-campaign-safety.md):

1. claim + history row, one transaction: nobody else can contact this client now;
2. a send slot (caps, pacing) stamped on the row and committed before the request leaves;
3. the gateway's answer recorded; a certain failure releases the claim, a missing answer is
   `unknown` and never resent;
4. the dialog context written to Redis, or parked in the row for `contexts replay`.

Messages for the AI arm are generated ahead in a thread pool, several clients per request, so
the shared rate limit - not the model's latency - sets the pace. Everything else runs on this
thread with one autocommit connection.
"""

import logging
import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import psycopg

from runner import history
from runner.alerts import alert
from runner.candidates import Candidate, Salon, load_candidates
from runner.claims import Claim
from runner.config import Settings
from runner.connections import connection_lost
from runner.errors import ConfigurationError, first_line
from runner.messages.facts import MessageFacts, message_facts
from runner.messages.prompt import MessageRequest
from runner.messages.templates import render_template
from runner.messages.validation import check_message
from runner.phones import mask_phone
from runner.ports import (
    ContextStore,
    ContextStoreError,
    DialogContext,
    GenerationFailed,
    MessageGenerator,
    MessageSender,
)
from runner.redaction import redact
from runner.sending_hours import window_state

log = logging.getLogger(__name__)

FAILURE_ALERT_RATE = 0.30
FAILURE_ALERT_MIN_ATTEMPTS = 10
CONTEXT_RETRY_DELAY_SECONDS = 0.5
CAMPAIGN = "reactivation"


@dataclass(frozen=True)
class CampaignRequest:
    salon: Salon
    limit: int | None = None
    live: bool = False
    test_phone: str | None = None  # live smoke test: every message goes to this number

    @property
    def command(self) -> str:
        suffix = " --live" if self.live else ""
        return f"run{suffix} --test-phone" if self.test_phone else f"run{suffix}"


@dataclass
class Outreach:
    """The campaign's tools, built once by the composition root."""

    conn: psycopg.Connection  # autocommit
    settings: Settings
    sender: MessageSender | None  # None in a dry run
    contexts: ContextStore | None
    generator: MessageGenerator | None  # None: no API key, templates for everyone
    stop: threading.Event = field(default_factory=threading.Event)
    now: Callable[[], datetime] = lambda: datetime.now(UTC)
    # A new connection, for recording the end of a run whose connection was lost.
    reconnect: Callable[[], psycopg.Connection] | None = None
    on_event: Callable[["ClientOutcome"], None] = lambda outcome: None
    on_start: Callable[[int, int], None] = lambda company_id, candidates: None


@dataclass(frozen=True)
class ClientOutcome:
    """One line of the run's story, for the progress display and the dry-run listing."""

    candidate: Candidate
    status: str  # sent, holdout, skipped, failed, unknown, would_send, would_hold_out
    text: str | None = None
    source: str | None = None
    detail: str | None = None


@dataclass
class RunSummary:
    run_id: int
    company_id: int
    live: bool
    status: str = "running"
    stop_reason: str | None = None
    counts: Counter = field(default_factory=Counter)
    errors: list = field(default_factory=list)
    notice: str | None = None
    failure: str | None = None  # one line: why a failed run failed


@dataclass
class _Pending:
    candidate: Candidate
    history_id: int | None
    claim: Claim | None
    facts: MessageFacts
    message: "Future[tuple[str, str, str | None]] | tuple[str, str, str | None]"


class _Stop(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def run_campaign(outreach: Outreach, request: CampaignRequest) -> RunSummary:
    settings, conn, salon = outreach.settings, outreach.conn, request.salon
    live = request.live and outreach.sender is not None
    run_id = history.start_run(conn, salon.company_id, request.command, live)
    summary = RunSummary(run_id, salon.company_id, live)
    try:
        if live and not request.test_phone:
            recovered = history.recover_abandoned_runs(conn, salon.company_id, own_run_id=run_id)
            if recovered["runs"]:
                log.warning(
                    "closed %(runs)d abandoned run(s): %(released)d claims released, "
                    "%(unknown)d sends marked unknown",
                    recovered,
                )
        if request.test_phone:
            candidates = _for_test_phone(
                load_candidates(conn, salon.company_id, None), request.limit, summary
            )
        else:
            candidates = load_candidates(conn, salon.company_id, request.limit)
        summary.counts["candidates"] = len(candidates)
        outreach.on_start(salon.company_id, len(candidates))
        state = window_state(
            outreach.now(), salon.timezone, settings.send_window, settings.send_days
        )
        if live and not request.test_phone and not state.is_open:
            summary.notice = (
                f"outside sending hours for salon {salon.company_id} (local time "
                f"{state.describe()}, window {_window_text(settings)}): nothing sent"
            )
            raise _Stop("outside_sending_hours")
        if not live and not state.is_open:
            summary.notice = (
                f"note: it is {state.describe()} at the salon, outside sending hours; "
                "a live run now would send nothing"
            )
        _Campaign(outreach, request, summary, live).run(candidates)
        summary.status = "completed"
    except _Stop as stop:
        summary.stop_reason = stop.reason
        summary.status = {"breaker": "aborted", "signal": "interrupted"}.get(
            stop.reason, "completed"
        )
    except Exception as error:  # recorded and alerted; the next salon of a nightly still runs
        summary.status, summary.stop_reason = "failed", "error"
        summary.failure = _describe_failure(error, conn)
        # One line; the traceback only with -v.
        log.error(
            "campaign run %s of salon %s failed: %s", run_id, salon.company_id, summary.failure
        )
        log.debug("traceback of run %s", run_id, exc_info=True)
        summary.errors.append({"error": summary.failure[:500]})
        alert(f"campaign run {run_id} of salon {salon.company_id} failed: {summary.failure}")
    finally:
        _alert_on_failure_rate(summary)
        _finish_run(outreach, summary)
    return summary


def _describe_failure(error: Exception, conn: psycopg.Connection) -> str:
    if isinstance(error, psycopg.Error) and connection_lost(conn):
        what = f"lost the connection to Postgres: {first_line(error)}"
    else:
        what = f"{type(error).__name__}: {first_line(error)}"
    return redact(what)


def _finish_run(outreach: Outreach, summary: RunSummary) -> None:
    """Record how the run ended. When its connection is gone, on a new one: first the run's
    own crash recovery (rows never handed over released, rows handed over `unknown`), so no
    row stays claimed, then its status and counts."""
    finish = dict(
        status=summary.status,
        counts=dict(summary.counts),
        errors=summary.errors,
        stop_reason=summary.stop_reason,
    )
    try:
        history.finish_run(outreach.conn, summary.run_id, **finish)
        return
    except psycopg.OperationalError as error:
        if outreach.reconnect is None:
            raise
        log.warning("recording run %s on a new connection: %s", summary.run_id, first_line(error))
    try:
        with outreach.reconnect() as fresh:
            history.recover_abandoned_runs(fresh, summary.company_id)
            history.finish_run(fresh, summary.run_id, **finish)
    except (psycopg.Error, ConfigurationError) as error:
        log.error("could not record the end of run %s: %s", summary.run_id, first_line(error))


class _Campaign:
    def __init__(self, outreach: Outreach, request: CampaignRequest, summary: RunSummary, live):
        self.outreach, self.request, self.summary, self.live = outreach, request, summary, live
        self.settings = outreach.settings
        self.conn = outreach.conn
        self.salon = request.salon
        self.consecutive_failures = 0
        self.last_test_send: float | None = None
        workers = max(1, min(self.settings.gemini_rpm, 32))
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="generate")

    def run(self, candidates: list[Candidate]) -> None:
        # Claim and generate a wave ahead of sending: as many clients as the rate limit lets the
        # model write in a minute, so generation overlaps the waits between sends.
        wave_size = self.settings.batch_size * self.settings.gemini_rpm
        position = 0
        try:
            while position < len(candidates):
                wave, position = self._next_wave(candidates, position, wave_size)
                self._send_wave(wave)
        finally:
            self.pool.shutdown(wait=False, cancel_futures=True)

    # --- deciding --------------------------------------------------------------------------

    def _next_wave(self, candidates, position, wave_size):
        wave: list[_Pending] = []
        while position < len(candidates) and len(wave) < wave_size:
            self._check_signal()
            candidate = candidates[position]
            position += 1
            pending = self._decide(candidate)
            if pending is not None:
                wave.append(pending)
        self._write_messages(wave)
        return wave, position

    def _decide(self, candidate: Candidate) -> "_Pending | None":
        facts = message_facts(
            candidate.client_name,
            candidate.last_service_title,
            candidate.days_since_last_visit,
            self.salon.name,
        )
        if candidate.is_held_out:
            if not self.live:
                self.summary.counts["would_hold_out"] += 1
                self._tell(ClientOutcome(candidate, "would_hold_out"))
                return None
            if self.request.test_phone:
                return None  # a smoke test sends messages; holdouts have none
        if not self.live or self.request.test_phone:
            return _Pending(candidate, None, None, facts, None)
        try:
            history_id, claim = history.claim_and_record(
                self.conn, candidate, self.summary.run_id, self.settings.cooldown_days
            )
        except psycopg.Error as error:
            self._client_error(candidate, "claim", error)
            return None
        if not claim.won:
            self.summary.counts[f"skipped_{claim.skip_reason}"] += 1
            self.summary.counts["skipped"] += 1
            self._tell(ClientOutcome(candidate, "skipped", detail=claim.skip_reason))
            return None
        if candidate.is_held_out:
            self.summary.counts["held_out"] += 1
            self._tell(ClientOutcome(candidate, "holdout"))
            return None
        return _Pending(candidate, history_id, claim, facts, None)

    # --- writing ---------------------------------------------------------------------------

    def _write_messages(self, wave: list[_Pending]) -> None:
        ai = [p for p in wave if p.candidate.wants_ai_text]
        for pending in wave:
            if not pending.candidate.wants_ai_text:
                pending.message = _template_message(pending, None)
        if self.outreach.generator is None:
            for pending in ai:
                pending.message = _template_message(pending, "no_api_key")
            return
        size = self.settings.batch_size
        for start in range(0, len(ai), size):
            batch = ai[start : start + size]
            future = self.pool.submit(self._generate_batch, batch)
            for index, pending in enumerate(batch):
                pending.message = _PickFromBatch(future, index)

    def _generate_batch(self, batch: list[_Pending]) -> list[tuple[str, str, str | None]]:
        requests = [MessageRequest(str(index), p.facts) for index, p in enumerate(batch)]
        try:
            texts = self.outreach.generator.generate(requests)
        except GenerationFailed as failure:
            log.warning("Gemini batch fell back to templates: %s", failure)
            return [_template_message(p, failure.reason) for p in batch]
        results = []
        for index, pending in enumerate(batch):
            checked = check_message(texts.get(str(index)), pending.facts)
            if checked.ok:
                results.append((checked.text, "ai", None))
            else:
                reason = checked.reason if str(index) in texts else "missing_in_response"
                results.append(_template_message(pending, reason))
        return results

    # --- sending ---------------------------------------------------------------------------

    def _send_wave(self, wave: list[_Pending]) -> None:
        for index, pending in enumerate(wave):
            try:
                self._check_signal()
                self._send_one(pending)
            except _Stop as stop:  # stopped before this client's message left
                self._leave_untouched(wave[index:], stop.reason)
                raise
            try:
                self._check_breaker()
            except _Stop as stop:
                self._leave_untouched(wave[index + 1 :], stop.reason)
                raise

    def _send_one(self, pending: _Pending) -> None:
        candidate = pending.candidate
        try:
            text, source, fallback_reason = _message_of(pending)
        except Exception as error:  # a bug in generation must not cost the client a message
            log.exception("generating for client %s failed", candidate.client_id)
            text, source, fallback_reason = _template_message(pending, "generation_error")
            self.summary.errors.append(_error_entry(candidate, "generate", error))
        self.summary.counts[f"source_{source}"] += 1
        if fallback_reason:
            self.summary.counts[f"fallback_{fallback_reason}"] += 1
        if not self.live:
            self.summary.counts["would_send"] += 1
            self._tell(ClientOutcome(candidate, "would_send", text, source, fallback_reason))
            return
        if self.request.test_phone:
            self._send_to_test_phone(pending, text, source, fallback_reason)
            return
        # The context is kept in history before the request leaves: a message whose outcome
        # turns out unknown may have arrived, and the client's reply must find its context.
        context = self._context_for(pending, text)
        self._wait_for_slot(pending, text, source, fallback_reason, context)
        try:
            delivery = self.outreach.sender.send(candidate.phone, text)
        except Exception as error:  # the request may have left: never resend
            delivery_status, message_id, detail = (
                "unknown",
                None,
                redact(f"{type(error).__name__}: {error}"),
            )
        else:
            delivery_status, message_id, detail = (
                delivery.status,
                delivery.message_id,
                delivery.error,
            )
        context_status = None
        if delivery_status in ("sent", "unknown"):
            context_status = self._leave_context(candidate, context)
        self._record_delivery(pending, delivery_status, message_id, detail, context_status)
        self._tell(ClientOutcome(candidate, delivery_status, text, source, detail))
        self._count_for_breaker(delivery_status)

    def _context_for(self, pending: _Pending, text: str) -> DialogContext:
        return _dialog_context(
            pending.candidate, pending, text, self.outreach.now(), self.settings.reply_window_hours
        )

    def _wait_for_slot(self, pending: _Pending, text, source, fallback_reason, context) -> None:
        gap = self.settings.min_gap_seconds
        while True:
            self._check_window()
            jitter = random.uniform(0, min(gap * 0.3, 30.0)) if gap else 0.0
            slot = history.reserve_send_slot(
                self.conn,
                company_id=self.salon.company_id,
                timezone=self.salon.timezone,
                history_id=pending.history_id,
                daily_cap=self.settings.daily_cap,
                hourly_cap=self.settings.hourly_cap,
                min_gap=timedelta(seconds=gap + jitter),
                text=text,
                source=source,
                fallback_reason=fallback_reason,
                context_payload=context.to_payload(),
                reply_window_hours=self.settings.reply_window_hours,
            )
            if slot.granted:
                return
            if slot.cap_reached:
                raise _Stop(slot.cap_reached)
            self._pause(slot.wait_seconds)

    def _pause(self, seconds: float) -> None:
        """Wait, but never past the sending window and never through a stop signal."""
        state = self._window()
        if state is not None and seconds >= state.seconds_until_close:
            raise _Stop("window_closed")
        if self.outreach.stop.wait(seconds):
            raise _Stop("signal")

    def _record_delivery(self, pending, status, message_id, detail, context_status):
        counts = self.summary.counts
        counts[status] += 1
        if status != "sent":
            self.summary.errors.append(_error_entry(pending.candidate, status, detail))
        try:
            history.record_delivery(
                self.conn,
                pending.history_id,
                pending.claim,
                status,
                message_id,
                detail,
                context_status,
            )
        except psycopg.Error as error:
            # The row keeps its send stamp, so recovery will call it 'unknown', never resend.
            alert(f"could not record the delivery of history row {pending.history_id}: {error}")
            self.summary.errors.append(_error_entry(pending.candidate, "record", error))
            self._stop_if_disconnected(error)

    def _leave_context(self, candidate: Candidate, context: DialogContext) -> str:
        """Write the bot's context; on a Redis failure park it (the payload is kept in history)."""
        status = "saved"
        try:
            self._save_context(candidate.phone, context)
        except ContextStoreError as error:
            status = "parked"
            alert(
                f"Redis refused the dialog context of {mask_phone(candidate.phone)} "
                f"(salon {candidate.company_id}): {error}; parked for `reactivate contexts replay`"
            )
            self.summary.errors.append(_error_entry(candidate, "context", error))
        self.summary.counts[f"context_{status}"] += 1
        return status

    def _save_context(self, phone: str, context: DialogContext) -> None:
        try:
            self.outreach.contexts.save(self.salon.company_id, phone, context)
        except ContextStoreError:
            time.sleep(CONTEXT_RETRY_DELAY_SECONDS)  # one retry: a failover or a blip
            self.outreach.contexts.save(self.salon.company_id, phone, context)

    def _send_to_test_phone(self, pending: _Pending, text, source, fallback_reason) -> None:
        gap = self.settings.min_gap_seconds
        if self.last_test_send is not None and gap:
            remaining = self.last_test_send + gap - time.monotonic()
            if remaining > 0 and self.outreach.stop.wait(remaining):
                raise _Stop("signal")
        phone = self.request.test_phone
        delivery = self.outreach.sender.send(phone, text)
        self.last_test_send = time.monotonic()
        self.summary.counts[delivery.status] += 1
        if delivery.status == "sent":
            context = self._context_for(pending, text)
            try:
                self._save_context(phone, context)
                self.summary.counts["context_saved"] += 1
            except ContextStoreError as error:
                self.summary.counts["context_failed"] += 1
                self.summary.errors.append(_error_entry(pending.candidate, "context", error))
        self._tell(ClientOutcome(pending.candidate, delivery.status, text, source, delivery.error))
        self._count_for_breaker(delivery.status)

    # --- stopping --------------------------------------------------------------------------

    def _count_for_breaker(self, status: str) -> None:
        self.consecutive_failures = 0 if status == "sent" else self.consecutive_failures + 1

    def _check_breaker(self) -> None:
        if self.consecutive_failures >= self.settings.breaker_failures:
            alert(
                f"salon {self.salon.company_id}: {self.consecutive_failures} gateway failures in "
                "a row; run aborted, the remaining clients stay for the next run"
            )
            raise _Stop("breaker")

    def _check_signal(self) -> None:
        if self.outreach.stop.is_set():
            raise _Stop("signal")

    def _window(self):
        if not self.live or self.request.test_phone:
            return None
        s = self.settings
        return window_state(self.outreach.now(), self.salon.timezone, s.send_window, s.send_days)

    def _check_window(self) -> None:
        state = self._window()
        if state is not None and not state.is_open:
            raise _Stop("window_closed")

    def _leave_untouched(self, remaining: list[_Pending], reason: str) -> None:
        """Clients claimed but not reached: release them so the next run starts from them."""
        for pending in remaining:
            if pending.history_id is None:
                continue
            try:
                history.skip(self.conn, pending.history_id, pending.claim, reason)
            except psycopg.Error as error:
                self._client_error(pending.candidate, "release", error)
            self.summary.counts["not_reached"] += 1

    def _client_error(self, candidate: Candidate, step: str, error: Exception) -> None:
        self._stop_if_disconnected(error)
        log.error("client %s, %s: %s", candidate.client_id, step, error)
        self.summary.errors.append(_error_entry(candidate, step, error))
        self.summary.counts["errors"] += 1

    def _stop_if_disconnected(self, error: Exception) -> None:
        """A lost connection is no one client's error: nothing after it could be claimed or
        recorded, so the run ends here (failed, recorded on a new connection)."""
        if connection_lost(self.conn):
            raise error

    def _tell(self, outcome: ClientOutcome) -> None:
        self.outreach.on_event(outcome)


def _template_message(pending: "_Pending", fallback_reason: str | None) -> tuple:
    """The template for the candidate's message kind (an AI-text client gets the service
    template), as (text, source, fallback_reason)."""
    return (
        render_template(pending.candidate.message_kind, pending.facts),
        "template",
        fallback_reason,
    )


def _for_test_phone(
    candidates: list[Candidate], limit: int | None, summary: RunSummary
) -> list[Candidate]:
    """A smoke test sends `limit` messages: holdouts have none, so they are passed over, and
    the summary names the ones passed over on the way."""
    chosen, passed_over = [], []
    for candidate in candidates:
        if limit is not None and len(chosen) >= limit:
            break
        (passed_over if candidate.is_held_out else chosen).append(candidate)
    summary.counts["holdouts_passed_over"] = len(passed_over)
    if passed_over:
        named = ", ".join(f"client {c.client_id} ({mask_phone(c.phone)})" for c in passed_over)
        summary.notice = (
            f"test phone: {len(passed_over)} holdout(s) passed over, holdouts get no message: "
            f"{named}"
        )
    return chosen


class _PickFromBatch:
    """One client's share of a batch's answer, resolved when the sender needs it."""

    def __init__(self, future: Future, index: int) -> None:
        self.future, self.index = future, index

    def result(self):
        return self.future.result()[self.index]


def _message_of(pending: _Pending) -> tuple[str, str, str | None]:
    message = pending.message
    return message.result() if isinstance(message, _PickFromBatch) else message


def _dialog_context(
    candidate: Candidate, pending: _Pending, text: str, now: datetime, reply_window_hours: int
) -> DialogContext:
    sent_at = now.isoformat(timespec="seconds")
    reply_until = (now + timedelta(hours=reply_window_hours)).isoformat(timespec="seconds")
    service = (
        {"id": candidate.last_service_id, "name": candidate.last_service_title}
        if candidate.last_service_id is not None
        else None
    )
    action = {
        "type": "reactivation_response",
        "campaign": CAMPAIGN,
        "arm": candidate.arm,
        "daysInactive": candidate.days_since_last_visit,
        "lastVisitDate": candidate.last_visit_date.isoformat()
        if candidate.last_visit_date
        else None,
        "suggestedService": service,
        "intervalDays": candidate.interval_days,
        "intervalSource": candidate.interval_source or candidate.interval_tier,
        "confidence": candidate.confidence,
        "messageSent": text,
        "messageSentAt": sent_at,
        # A handler seeing this after the window ends knows it no longer answers our message,
        # even when the bot's own TTL kept the hash alive that long.
        "replyUntil": reply_until,
        "reactivationHistoryId": pending.history_id,
    }
    return DialogContext(action, pending.facts.first_name, text, sent_at)


def _error_entry(candidate: Candidate, step: str, error) -> dict:
    return {
        "client_id": candidate.client_id,
        "phone": mask_phone(candidate.phone),
        "step": step,
        "error": redact(str(error))[:300],
    }


def send_failure(summary: RunSummary) -> str | None:
    """Why a live run's sends make it a failed job for cron, or None: it sent nothing although
    it tried, or more than FAILURE_ALERT_RATE of its sends failed."""
    counts = summary.counts
    failures = counts["failed"] + counts["unknown"]
    attempts = counts["sent"] + failures
    if not summary.live or not attempts:
        return None
    if not counts["sent"]:
        return f"nothing sent: all {attempts} sends failed"
    if attempts >= FAILURE_ALERT_MIN_ATTEMPTS and failures / attempts > FAILURE_ALERT_RATE:
        return f"{failures} of {attempts} sends failed ({failures / attempts:.0%})"
    return None


def _alert_on_failure_rate(summary: RunSummary) -> None:
    failure = send_failure(summary)
    if failure:
        alert(f"salon {summary.company_id}, run {summary.run_id}: {failure}")


def _window_text(settings: Settings) -> str:
    end = settings.send_window.end_minutes
    return f"{settings.send_window.start:%H:%M}-{end // 60:02d}:{end % 60:02d}"
