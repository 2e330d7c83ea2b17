"""The process's ClickHouse clients: statements of different threads run side by side on the embedded
engine (one client runs one statement at a time), and idle clients are reused."""

from __future__ import annotations

import threading

from analytics import client


def test_a_statement_runs_while_another_thread_holds_a_client(clickhouse: None) -> None:
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with client.borrow() as busy:
            busy.query("SELECT 1")
            held.set()
            release.wait(30)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert held.wait(30)
        answered: list[object] = []
        reader = threading.Thread(target=lambda: answered.append(client.execute("SELECT 41 + 1").rows))
        reader.start()
        reader.join(30)
        assert answered == [[(42,)]]  # not queued behind the held client
    finally:
        release.set()
        holder.join(30)


def test_an_idle_client_serves_the_next_caller(clickhouse: None) -> None:
    with client.borrow() as first:
        pass
    with client.borrow() as again:
        assert again is first
        with client.borrow() as other:  # this thread holds one: another opens
            assert other is not first
