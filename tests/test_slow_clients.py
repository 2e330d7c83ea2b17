"""Slow clients cannot hold every server thread: Lantern run as ``./dev serve`` runs it (gunicorn gthread,
8 threads) still answers others while 16 connections stall in a request's body or headers, and the
stalled ones are answered 408 (body) or closed (headers) once their deadline passes."""

from __future__ import annotations

import json
import select
import socket
import stat
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.embedded_server import EmbeddedServer, embedded_server

STALLED = 16  # twice the threads of the one embedded worker
WITHIN_S = 30.0  # a bound that only turns a hang into a failure; the deadlines below are 3 s
UA = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"


@pytest.fixture(scope="module")
def lantern(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedServer]:
    with pytest.MonkeyPatch.context() as env:
        env.setenv("REQUEST_BODY_TIMEOUT_S", "3")
        env.setenv("REQUEST_HEADER_TIMEOUT_S", "3")
        with embedded_server(tmp_path_factory.mktemp("slow") / "data") as server:
            yield server


def stall(server: EmbeddedServer, head: bytes) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=WITHIN_S)
    sock.sendall(head)
    return sock


def stalled_in_body(server: EmbeddedServer, path: str) -> socket.socket:
    """A POST's headers with Content-Length: 1000, then a few body bytes, then nothing."""
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\nContent-Type: text/plain\r\n"
        f"User-Agent: {UA}\r\nContent-Length: 1000\r\n\r\n"
    )
    return stall(server, head.encode() + b'{"n":"pa')


def stalled_in_headers(server: EmbeddedServer) -> socket.socket:
    return stall(server, f"POST /login/ HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\nContent-Ty".encode())


def answer(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection."""
    received = b""
    with sock:
        try:
            while chunk := sock.recv(65536):
                received += chunk
        except ConnectionResetError:  # closed with bytes we sent unread (a reset after the answer)
            pass
    return received


def login_page(server: EmbeddedServer) -> int:
    with urllib.request.urlopen(server.url + "/login/", timeout=WITHIN_S) as response:
        return int(response.status)


def test_others_are_served_while_bodies_stall_and_the_stalled_get_408(lantern: EmbeddedServer) -> None:
    stalled = [stalled_in_body(lantern, "/api/event" if i % 2 else "/login/") for i in range(STALLED)]
    time.sleep(0.5)  # every stalled request has its thread, or waits for one, before ours
    assert login_page(lantern) == 200
    for sock in stalled:
        received = answer(sock)
        assert received.startswith(b"HTTP/1.1 408"), received[:200]
        assert json.loads(received.split(b"\r\n\r\n", 1)[1]) == {
            "errors": {"body": ["did not arrive within 3 s"]}
        }


def test_others_are_served_while_headers_stall_and_the_stalled_are_closed(lantern: EmbeddedServer) -> None:
    stalled = [stalled_in_headers(lantern) for _ in range(STALLED)]
    time.sleep(0.5)
    assert login_page(lantern) == 200
    for sock in stalled:
        assert answer(sock) == b""  # closed: there is no request to answer


def test_a_body_trickling_a_byte_at_a_time_is_cut_at_the_deadline(lantern: EmbeddedServer) -> None:
    """Each byte comes well within any per-read timeout; the deadline is on the whole body."""
    sock = stalled_in_body(lantern, "/api/event")
    for _ in range(int(WITHIN_S / 0.25)):
        if select.select([sock], [], [], 0.25)[0]:  # the server answered (or closed)
            break
        sock.sendall(b" ")
    received = answer(sock)
    assert received.startswith(b"HTTP/1.1 408"), received[:200]


def test_a_body_sent_in_pieces_within_the_deadline_is_taken(lantern: EmbeddedServer) -> None:
    body = json.dumps({"n": "pageview", "u": "https://example.com/", "d": "example.com"}).encode()
    head = (
        f"POST /api/event HTTP/1.1\r\nHost: 127.0.0.1:{lantern.port}\r\nContent-Type: text/plain\r\n"
        f"User-Agent: {UA}\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    )
    sock = stall(lantern, head.encode() + body[:10])
    time.sleep(1)
    sock.sendall(body[10:])
    assert answer(sock).startswith(b"HTTP/1.1 202")


def test_the_data_directory_of_a_running_server_is_private(lantern: EmbeddedServer) -> None:
    def mode(path: Path) -> int:
        return stat.S_IMODE(path.stat().st_mode)

    assert mode(lantern.data_dir) == 0o700
    assert mode(lantern.data_dir / "lantern.sqlite3") == 0o600
    assert mode(lantern.data_dir / "secret_key") == 0o600
