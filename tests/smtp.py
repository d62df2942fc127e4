"""A real SMTP server on loopback (aiosmtpd) that records what it receives and can be told to fail."""

import asyncio
import email
import email.policy
import socket
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: email.message.EmailMessage
    raw: bytes
    mail_options: list[str] = field(default_factory=list)  # MAIL FROM parameters, e.g. BODY=8BITMIME
    at: float = field(default_factory=time.monotonic)  # when the server took the message (time.monotonic)


@dataclass
class RecordingHandler:
    messages: list[Received] = field(default_factory=list)
    # recipient -> SMTP reply to give at RCPT instead of accepting, e.g. "550 5.1.1 No such user"
    rcpt_replies: dict[str, str] = field(default_factory=dict)
    data_reply: str | None = None  # reply to every DATA instead of accepting, e.g. "451 4.3.0 Try later"
    # recipients whose next message is taken and then the connection dropped before the reply (the ambiguous case)
    reset_after_data: set[str] = field(default_factory=set)
    hang_next: int = 0  # this many DATA commands get no reply at all for `hang_seconds` (a server that hangs)
    hang_seconds: float = 60.0
    data_commands: int = 0
    rcpt_attempts: Counter = field(default_factory=Counter)
    resets: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        with self.lock:
            self.rcpt_attempts[address.lower()] += 1
        reply = self.rcpt_replies.get(address.lower())
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.data_commands += 1
            hang = self.hang_next > 0
            self.hang_next -= hang
        if hang:
            await asyncio.sleep(self.hang_seconds)
            return "451 4.4.2 Timed out"
        if self.data_reply:
            return self.data_reply
        raw = envelope.original_content or envelope.content
        message = email.message_from_bytes(raw, policy=email.policy.default)
        rcpts = [r.lower() for r in envelope.rcpt_tos]
        with self.lock:
            self.messages.append(
                Received(envelope.mail_from, list(envelope.rcpt_tos), message, raw, list(envelope.mail_options))
            )
            reset = self.reset_after_data.intersection(rcpts)
            self.reset_after_data -= reset
            self.resets += bool(reset)
        if reset:
            server.transport.abort()  # the message is in; the client never hears so
        return "250 Message accepted"

    def recipients(self) -> Counter:
        """How many messages each recipient got."""
        with self.lock:
            return Counter(r.lower() for m in self.messages for r in m.rcpt_tos)

    def to(self, address: str) -> list[Received]:
        with self.lock:
            return [m for m in self.messages if address.lower() in (r.lower() for r in m.rcpt_tos)]


class SMTPServer:
    def __init__(self):
        self.handler = RecordingHandler()
        self.port = free_port()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)

    @property
    def messages(self) -> list[Received]:
        return self.handler.messages

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> "SMTPServer":
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()
