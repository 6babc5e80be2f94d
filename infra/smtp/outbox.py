"""A local mail and SMS outbox for Guichet's local runs and tests.

Starts two servers and keeps, in a directory, everything they receive:

- a real SMTP server (aiosmtpd): each message is written to `mail/<n>.eml` (the raw
  message, as received) and `mail/<n>.json` (envelope, decoded subject and text body);
- an HTTP receiver standing in for the SMS provider: `POST /sms` with a JSON body
  `{"to": ..., "text": ..., "sender": ...}` (and `Authorization: Bearer <key>` when
  `--sms-key` is given) is appended as one JSON line to `sms.jsonl`.

Recipients at the domain `refuse.invalid` are refused with a permanent SMTP error (550),
and SMS to a number ending in `0000` get a permanent 422, so tests and demos can show a
failed delivery. Port 0 picks a free port; the ports are printed on the first lines:

    SMTP 127.0.0.1:2525
    SMS http://127.0.0.1:2580/sms

Usage: outbox.py --dir DIR [--host 127.0.0.1] [--smtp-port 0] [--sms-port 0] [--sms-key KEY]
"""

import argparse
import asyncio
import email
import email.policy
import itertools
import json
import os
import signal
import threading
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.smtp import SMTP

REFUSED_DOMAIN = "@refuse.invalid"
_counter = itertools.count(1)
_lock = threading.Lock()


def write_atomically(path, data):
    tmp = f"{path}.tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def text_of(message):
    """The decoded text/plain body of a message, or its first text part."""
    part = message.get_body(preferencelist=("plain", "html"))
    return part.get_content() if part is not None else ""


class Outbox:
    """aiosmtpd handler writing every accepted message to the outbox."""

    def __init__(self, directory):
        self.directory = os.path.join(directory, "mail")
        os.makedirs(self.directory, exist_ok=True)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower().endswith(REFUSED_DOMAIN):
            return "550 5.1.1 Destinataire inconnu"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        message = email.message_from_bytes(raw, policy=email.policy.default)
        with _lock:
            n = next(_counter)
            stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S")
            name = f"{stamp}-{os.getpid()}-{n:05d}"
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "from": str(message.get("From", "")),
            "to": str(message.get("To", "")),
            "subject": str(message.get("Subject", "")),
            "message_id": str(message.get("Message-ID", "")),
            "text": text_of(message),
            "received_at": datetime.now(timezone.utc).isoformat(),
        }
        write_atomically(os.path.join(self.directory, f"{name}.eml"), raw)
        write_atomically(
            os.path.join(self.directory, f"{name}.json"),
            json.dumps(record, ensure_ascii=False, indent=2).encode(),
        )
        print(f"mail {name} to {', '.join(envelope.rcpt_tos)}: {record['subject']}", flush=True)
        return "250 Message accepted for delivery"


def sms_handler(directory, key):
    path = os.path.join(directory, "sms.jsonl")

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def answer(self, status, body):
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self):
            if self.path != "/sms":
                return self.answer(404, {"error": "not found"})
            if key and self.headers.get("authorization") != f"Bearer {key}":
                return self.answer(401, {"error": "bad key"})
            length = int(self.headers.get("content-length") or 0)
            try:
                body = json.loads(self.rfile.read(length) or b"{}")
            except ValueError:
                return self.answer(400, {"error": "invalid json"})
            to = str(body.get("to", ""))
            if not to or not body.get("text"):
                return self.answer(400, {"error": "to and text are required"})
            if to.replace(" ", "").endswith("0000"):
                return self.answer(422, {"error": "unknown number"})
            with _lock:
                n = next(_counter)
                body["id"] = f"sms-{os.getpid()}-{n}"
                body["received_at"] = datetime.now(timezone.utc).isoformat()
                with open(path, "a", encoding="utf-8") as f:
                    f.write(json.dumps(body, ensure_ascii=False) + "\n")
            print(f"sms {body['id']} to {to}", flush=True)
            return self.answer(202, {"id": body["id"]})

    return Handler


async def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--smtp-port", type=int, default=0)
    parser.add_argument("--sms-port", type=int, default=0)
    parser.add_argument("--sms-key", default="")
    args = parser.parse_args()
    os.makedirs(args.dir, exist_ok=True)

    sms = ThreadingHTTPServer((args.host, args.sms_port), sms_handler(args.dir, args.sms_key))
    threading.Thread(target=sms.serve_forever, daemon=True).start()

    loop = asyncio.get_running_loop()
    handler = Outbox(args.dir)
    server = await loop.create_server(
        lambda: SMTP(handler, enable_SMTPUTF8=True, hostname="outbox.localhost"),
        args.host,
        args.smtp_port,
    )
    smtp_port = server.sockets[0].getsockname()[1]
    print(f"SMTP {args.host}:{smtp_port}", flush=True)
    print(f"SMS http://{args.host}:{sms.server_address[1]}/sms", flush=True)
    print(f"outbox {os.path.abspath(args.dir)}", flush=True)

    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    server.close()
    sms.shutdown()


if __name__ == "__main__":
    asyncio.run(main())
