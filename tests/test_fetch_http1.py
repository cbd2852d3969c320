"""The fetcher's own HTTP/1.1 client (monitor/fetch/http1.py) against a raw loopback server
that writes exactly the bytes each test wants: keep-alive reuse, a pooled connection the
server closed, chunked bodies, credentials in the address, answers that are not HTTP."""

from __future__ import annotations

import asyncio
import base64
import socket
import threading

import pytest

from monitor.fetch import Fetcher, FetchError, FetchSettings

RSS = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>'


class RawServer:
    """A thread serving each connection with ``answer(request_head) -> bytes`` for every
    request on it; ``close_after`` requests per connection (then the server closes)."""

    def __init__(self, answer, close_after: int = 100) -> None:  # type: ignore[no-untyped-def]
        self.answer = answer
        self.close_after = close_after
        self.connections = 0
        self.heads: list[bytes] = []
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._one, args=(conn,), daemon=True).start()

    def _one(self, conn: socket.socket) -> None:
        buf = b""
        served = 0
        with conn:
            while served < self.close_after:
                while b"\r\n\r\n" not in buf:
                    data = conn.recv(65536)
                    if not data:
                        return
                    buf += data
                head, buf = buf.split(b"\r\n\r\n", 1)
                self.heads.append(head)
                conn.sendall(self.answer(head))
                served += 1

    def close(self) -> None:
        self.sock.close()


def ok(body: bytes, extra: bytes = b"") -> bytes:
    return (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nContent-Length: "
        + str(len(body)).encode()
        + b"\r\n"
        + extra
        + b"\r\n"
        + body
    )


def fetcher() -> Fetcher:
    return Fetcher(
        FetchSettings(
            allow_private=True,
            per_host_delay=0.0,
            connect_timeout=2,
            read_timeout=2,
            total_timeout=3,
            respect_robots=False,
        )
    )


def test_requests_to_one_host_reuse_one_connection() -> None:
    srv = RawServer(lambda head: ok(RSS))
    try:

        async def go() -> list[bytes]:
            async with fetcher() as f:
                return [
                    (await f.get_feed(f"http://127.0.0.1:{srv.port}/f{i}")).body for i in range(3)
                ]

        assert asyncio.run(go()) == [RSS] * 3
        assert srv.connections == 1 and len(srv.heads) == 3
    finally:
        srv.close()


def test_a_pooled_connection_the_server_closed_is_replaced() -> None:
    srv = RawServer(lambda head: ok(RSS), close_after=1)  # closes after each answer
    try:

        async def go() -> list[bytes]:
            async with fetcher() as f:
                out = []
                for i in range(3):
                    out.append((await f.get_feed(f"http://127.0.0.1:{srv.port}/f{i}")).body)
                    await asyncio.sleep(0.05)  # the close reaches us while the socket is idle
                return out

        assert asyncio.run(go()) == [RSS] * 3
        assert srv.connections == 3
    finally:
        srv.close()


def test_connection_close_answer_is_not_reused() -> None:
    srv = RawServer(lambda head: ok(RSS, b"Connection: close\r\n"))
    try:

        async def go() -> None:
            async with fetcher() as f:
                for i in range(2):
                    assert (await f.get_feed(f"http://127.0.0.1:{srv.port}/f{i}")).body == RSS

        asyncio.run(go())
        assert srv.connections == 2
    finally:
        srv.close()


def test_chunked_body_and_basic_auth_from_the_address() -> None:
    def answer(head: bytes) -> bytes:
        chunks = [RSS[:10], RSS[10:]]
        body = b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in chunks) + b"0\r\n\r\n"
        return (
            b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n" + body
        )

    srv = RawServer(answer)
    try:

        async def go() -> bytes:
            async with fetcher() as f:
                return (await f.get_feed(f"http://us%40er:p%3Ass@127.0.0.1:{srv.port}/f")).body

        assert asyncio.run(go()) == RSS
        head = srv.heads[0].decode("latin-1").lower()
        expected = base64.b64encode(b"us@er:p:ss").decode().lower()
        assert f"authorization: basic {expected}" in head
        assert f"host: 127.0.0.1:{srv.port}" in head
        assert "@" not in srv.heads[0].split(b"\r\n")[0].decode()  # not in the request line
    finally:
        srv.close()


@pytest.mark.parametrize(
    "reply",
    [
        b"SSH-2.0-OpenSSH_9.6\r\n\r\n",  # not HTTP at all
        b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort",  # body cut by the server
        b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 7\r\n\r\nabcde",  # ambiguous
    ],
)
def test_broken_answers_are_network_errors(reply: bytes) -> None:
    srv = RawServer(lambda head: reply, close_after=1)
    try:

        async def go() -> None:
            async with fetcher() as f:
                await f.get_feed(f"http://127.0.0.1:{srv.port}/f")

        with pytest.raises(FetchError) as err:
            asyncio.run(go())
        assert err.value.kind == "network"
    finally:
        srv.close()
