"""Loopback stand-ins for the services we do not own: Gemini's generateContent and the bot's
WhatsApp gateway. They speak the real wire formats, so our real clients (google-genai, httpx)
talk to them, and each can be told to fail: 429 with or without retryDelay, 500, slow answers.
"""

import json
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Behaviour:
    """How the fake answers one request: HTTP status, an optional delay, an optional body."""

    status: int = 200
    delay_seconds: float = 0.0
    body: object = None  # None: the service's normal answer
    retry_delay: str | None = None  # for a 429: RetryInfo's retryDelay, e.g. "1s"


@dataclass
class FakeService:
    url: str = ""
    requests: list = field(default_factory=list)
    request_times: list = field(default_factory=list)
    script: deque = field(default_factory=deque)  # behaviours for the next requests, in order
    default: Behaviour = field(default_factory=Behaviour)
    failing_phones: set = field(default_factory=set)  # the gateway refuses these (500)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def next_behaviour(self) -> Behaviour:
        with self.lock:
            return self.script.popleft() if self.script else self.default

    def then(self, *behaviours: Behaviour) -> "FakeService":
        self.script.extend(behaviours)
        return self


@contextmanager
def _serve(service: FakeService, answer: Callable[[FakeService, str, dict], tuple[int, object]]):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def setup(self):
            super().setup()
            # Headers and body go out as two writes; without this, delayed ACKs add 40 ms.
            self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            payload = json.loads(self.rfile.read(length) or b"{}")
            with service.lock:
                service.requests.append((self.path, payload))
                service.request_times.append(time.monotonic())
            status, body = answer(service, self.path, payload)
            self._reply(status, body)

        def do_GET(self):
            self._reply(200, {"status": "connected"})

        def _reply(self, status, body):
            data = json.dumps(body, ensure_ascii=False).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (a timeout we asked for)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    service.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield service
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


# --- Gemini ---------------------------------------------------------------------------------


def polite_message(client: dict) -> str:
    """What a well-behaved model writes for one client of our prompt."""
    greeting = f"{client['first_name']}, добрый день!" if client["first_name"] else "Здравствуйте!"
    service = f" на услугу «{client['service']}»" if client["service"] else ""
    return f"{greeting} Соскучились по вам — приходите снова{service}. Записать вас?"


def clients_in_prompt(payload: dict) -> list[dict]:
    text = payload["contents"][0]["parts"][0]["text"]
    return json.loads(text.split("Клиенты (JSON):\n", 1)[1])


def _gemini_answer(write: Callable[[dict], str]):
    def answer(service: FakeService, path: str, payload: dict):
        behaviour = service.next_behaviour()
        if behaviour.delay_seconds:
            time.sleep(behaviour.delay_seconds)
        if ":generateContent" not in path:
            return 404, {"error": {"code": 404, "message": "no such method", "status": "NOT_FOUND"}}
        if behaviour.status == 429:
            details = []
            if behaviour.retry_delay:
                details.append(
                    {
                        "@type": "type.googleapis.com/google.rpc.RetryInfo",
                        "retryDelay": behaviour.retry_delay,
                    }
                )
            return 429, {
                "error": {
                    "code": 429,
                    "message": "You exceeded your current quota.",
                    "status": "RESOURCE_EXHAUSTED",
                    "details": details,
                }
            }
        if behaviour.status != 200:
            message = behaviour.body if isinstance(behaviour.body, str) else "boom"
            return behaviour.status, {
                "error": {"code": behaviour.status, "message": message, "status": "INTERNAL"}
            }
        if behaviour.body is not None:
            text = behaviour.body if isinstance(behaviour.body, str) else json.dumps(behaviour.body)
        else:
            clients = clients_in_prompt(payload)
            items = [{"client_ref": c["client_ref"], "message": write(c)} for c in clients]
            text = json.dumps(items, ensure_ascii=False)
        return 200, {
            "candidates": [
                {
                    "content": {"role": "model", "parts": [{"text": text}]},
                    "finishReason": "STOP",
                    "index": 0,
                }
            ],
            "usageMetadata": {"promptTokenCount": 10, "candidatesTokenCount": 10},
        }

    return answer


@contextmanager
def fake_gemini(default: Behaviour | None = None, write: Callable[[dict], str] = polite_message):
    service = FakeService(default=default or Behaviour())
    with _serve(service, _gemini_answer(write)) as running:
        yield running


# --- WhatsApp gateway -----------------------------------------------------------------------


def _gateway_answer(service: FakeService, path: str, payload: dict):
    behaviour = service.next_behaviour()
    if behaviour.delay_seconds:
        time.sleep(behaviour.delay_seconds)
    if path != "/send":
        return 404, {"success": False, "error": "not found"}
    if not payload.get("phone") or not payload.get("message"):
        return 400, {"success": False, "error": "phone and message are required"}
    if payload["phone"] in service.failing_phones:
        behaviour = Behaviour(status=500)
    if behaviour.status != 200:
        return behaviour.status, behaviour.body or {
            "success": False,
            "error": "WhatsApp not connected",
        }
    with service.lock:
        number = len(service.requests)
    return 200, {"success": True, "messageId": f"wamid-{number}", "phone": payload["phone"]}


@contextmanager
def fake_gateway(default: Behaviour | None = None):
    service = FakeService(default=default or Behaviour())
    with _serve(service, _gateway_answer) as running:
        yield running


def sent_messages(gateway: FakeService) -> list[dict]:
    """Every /send request the gateway received, in order."""
    return [payload for path, payload in gateway.requests if path == "/send"]
