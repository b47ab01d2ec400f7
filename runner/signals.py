"""SIGTERM / SIGINT during a campaign: finish the client in flight, then stop cleanly."""

import logging
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

log = logging.getLogger(__name__)


@contextmanager
def stop_on_signals() -> Iterator[threading.Event]:
    """An event set by SIGTERM or SIGINT; the previous handlers come back afterwards."""
    stop = threading.Event()

    def request_stop(signum, _frame):
        log.warning(
            "%s received: finishing the current client, then stopping", signal.Signals(signum).name
        )
        stop.set()

    if threading.current_thread() is not threading.main_thread():
        yield stop  # signals reach only the main thread; nothing to install here
        return
    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield stop
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
