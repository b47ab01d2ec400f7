"""A loopback stand-in for the bot's WhatsApp gateway, for the demo when WHATSAPP_API_URL is
unset: it speaks the gateway's API (`POST /send`, `GET /health`) and keeps what it was sent
instead of delivering it."""

import itertools
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class MessageSink:
    url: str = ""
    messages: list[dict] = field(default_factory=list)


@contextmanager
def message_sink() -> Iterator[MessageSink]:
    sink = MessageSink()
    ids = itertools.count(1)
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            try:
                payload = json.loads(self.rfile.read(length) or b"{}")
            except ValueError:
                payload = {}
            if self.path != "/send" or not payload.get("phone") or not payload.get("message"):
                self._reply(400, {"success": False, "error": "phone and message are required"})
                return
            with lock:
                message_id = f"demo-{next(ids)}"
                sink.messages.append({**payload, "messageId": message_id})
            self._reply(200, {"success": True, "messageId": message_id, "phone": payload["phone"]})

        def do_GET(self):
            self._reply(200 if self.path == "/health" else 404, {"status": "demo sink"})

        def _reply(self, status: int, body: dict) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    sink.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield sink
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
