"""Helpers shared by the integration tests."""

from __future__ import annotations

import socket


def free_ports(count: int) -> list[int]:
    """``count`` distinct TCP ports free on 127.0.0.1 right now."""
    sockets, ports = [], []
    for _ in range(count):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        sockets.append(s)
        ports.append(s.getsockname()[1])
    for s in sockets:
        s.close()
    return ports


def free_port_block(count: int, offset: int = 0, attempts: int = 50) -> int:
    """A base port p with p .. p+count-1 (and, with ``offset``, p+offset .. too) all free."""
    import random

    for _ in range(attempts):
        base = random.randint(20_000, 50_000 - offset - count)
        wanted = list(range(base, base + count)) + ([p + offset for p in range(base, base + count)] if offset else [])
        try:
            held = []
            for port in wanted:
                s = socket.socket()
                held.append(s)
                s.bind(("127.0.0.1", port))
        except OSError:
            continue
        finally:
            for s in held:
                s.close()
        return base
    raise RuntimeError("no free block of ports")
