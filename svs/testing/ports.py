"""Free TCP ports on 127.0.0.1, for tests and benchmarks that start their own nodes."""

from __future__ import annotations

import random
import socket


def free_port_block(count: int, offset: int = 0, attempts: int = 50) -> int:
    """A base port p with p .. p+count-1 (and, with ``offset``, p+offset .. too) all free now."""
    for _ in range(attempts):
        base = random.randint(20_000, 50_000 - offset - count)
        wanted = list(range(base, base + count)) + ([p + offset for p in range(base, base + count)] if offset else [])
        held = []
        try:
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
