"""Free TCP ports on 127.0.0.1, for tests and benchmarks that start their own nodes."""

from __future__ import annotations

import random
import socket
from pathlib import Path

from svs.pipeline.subscriptions import WS_PORT_OFFSET


def _ephemeral_start() -> int:
    """The first port the kernel hands out to outgoing connections: a port above it may be taken
    by any client socket between the check and the bind, so blocks stay below it."""
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32_768


def free_port_block(count: int, offset: int = 0, attempts: int = 50) -> int:
    """A base port p with p .. p+count-1, the WebSocket ports p+100 .. and, with ``offset``,
    p+offset .. too, all free now and all below the ephemeral range."""
    high = _ephemeral_start() - max(offset, WS_PORT_OFFSET) - count - 1
    for _ in range(attempts):
        base = random.randint(10_000, high)
        blocks = {0, WS_PORT_OFFSET, offset}
        wanted = [b + p for b in blocks for p in range(base, base + count)]
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
