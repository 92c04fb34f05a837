"""Every bound the sequencer puts on what users send, in one place, with where each figure comes
from. The ingress refuses what breaks them with a JSON-RPC error; the builder never builds a
block that breaks them, so every block can be posted to L1 in one transaction.
"""

from __future__ import annotations

# --- transactions ---------------------------------------------------------------------------
MAX_TX_BYTES = 128 * 1024  # geth's txMaxSize: four 32 KB slots
MAX_TX_GAS = 30_000_000  # no transaction can ask for more than a whole block
INTRINSIC_GAS = 21_000
COLD_SLOAD_GAS = 2_100  # EIP-2929
CREATION_GAS = 32_000
WARM_READ_GAS = 100  # EIP-2929

# --- blocks ---------------------------------------------------------------------------------
BLOCK_GAS_LIMIT = 30_000_000  # each rollup's block gas limit (Ethereum's until 2024)
MIN_BASE_FEE = 10**9  # wei; EIP-1559 base fee floor, so that filling blocks is never free
BASE_FEE_CHANGE_DENOMINATOR = 8  # EIP-1559: at most +-12.5% per block
ELASTICITY = 2  # EIP-1559: the gas target is half the gas limit

# --- L1 posting -----------------------------------------------------------------------------
# anvil refuses HTTP bodies above ~2 MB and batch data travels hex-encoded (x2) with proofs, so
# one L1 submission carries at most this much batch data. Every submission holds at least one
# block of every rollup; the builder caps each block's transaction bytes so that one block of
# every rollup always fits (block_bytes_cap).
MAX_POST_DATA_BYTES = 768 * 1024
# Blobs one L1 transaction carries at most (EIP-7594, Osaka). A post in blobs puts each rollup's
# data in its own blobs; a post that needs more goes in calldata (svs.l1.batcher).
MAX_BLOBS_PER_POST = 6

# --- JSON-RPC ---------------------------------------------------------------------------------
MAX_BODY_BYTES = 5 * 1024 * 1024  # geth's HTTP body limit
MAX_BATCH_REQUESTS = 1_000  # geth's BatchRequestLimit
CALL_GAS_CAP = 50_000_000  # geth's RPCGasCap for eth_call / eth_estimateGas
MAX_LOG_BLOCK_RANGE = 10_000  # eth_getLogs: blocks per query
MAX_CACHED_SENDERS = 100_000  # senders' committed nonce and balance kept per rollup until the next commit
MAX_CONCURRENT_READS = 4  # proxied reads in flight per rollup node; the rest wait their turn
SHUTDOWN_POLL_SECONDS = 0.05  # the ingress's accept loop checks this often whether it is being stopped
READ_QUEUE_SECONDS = 10.0  # a read that waits longer for its turn is refused as busy
SYNC_DEFAULT_MS = 10_000  # eth_sendRawTransactionSync (EIP-7966): wait when no timeout is given
SYNC_MAX_MS = 60_000  # the longest wait a client may ask for; longer asks get the default
MAX_SYNC_WAITERS = 256  # eth_sendRawTransactionSync calls waiting per rollup; more are refused as busy
# WebSocket subscriptions (svs.pipeline.subscriptions), per rollup endpoint and per connection.
MAX_WS_CONNECTIONS = 64  # open connections; more are closed at once with code 1013 (try again later)
MAX_SUBSCRIPTIONS = 32  # eth_subscribe per connection
MAX_WS_INFLIGHT = 8  # requests of one connection answered at once; more get a busy error
WS_OUTBOX = 4_096  # messages queued for one connection; a client that falls further behind is dropped
MAX_FILTER_ITEMS = 64  # addresses, and alternatives per topic position, in a logs subscription
# Node requests: SEND_CHUNK and MAX_REQUEST_BYTES belong to the client that sends them
# (svs.node.rpc), which owns the in-order sending rule.


def block_bytes_cap(rollups: int) -> int:
    """Transaction bytes one rollup block may hold (user transactions and destination legs), so
    that one block of every rollup fits one L1 submission (4 KB per block left for RLP framing)."""
    return MAX_POST_DATA_BYTES // max(1, rollups) - 4096


def max_tx_bytes(rollups: int) -> int:
    """The largest transaction a rollup accepts with ``rollups`` rollups in one submission."""
    return min(MAX_TX_BYTES, block_bytes_cap(rollups))


def next_base_fee(parent_base_fee: int, parent_gas_used: int, parent_gas_limit: int,
                  floor: int = MIN_BASE_FEE) -> int:
    """EIP-1559's base fee for the child of a block, never below ``floor``."""
    target = parent_gas_limit // ELASTICITY
    if target == 0 or parent_gas_used == target:
        fee = parent_base_fee
    elif parent_gas_used > target:
        fee = parent_base_fee + max(1, parent_base_fee * (parent_gas_used - target) // target
                                    // BASE_FEE_CHANGE_DENOMINATOR)
    else:
        fee = parent_base_fee - parent_base_fee * (target - parent_gas_used) // target // BASE_FEE_CHANGE_DENOMINATOR
    return max(fee, floor)


def intrinsic_gas(data: bytes, creation: bool) -> int:
    """The least gas a transaction must carry: the intrinsic cost (EIP-2028 calldata, EIP-3860
    initcode words for a creation) or the EIP-7623 calldata floor (Prague), whichever is higher.
    anvil accepts a transaction below the floor into its pool and then drops it at mining
    without a word, so the ingress must refuse it. Access lists are not counted (a lower bound)."""
    zeros = data.count(0)
    nonzero = len(data) - zeros
    standard = INTRINSIC_GAS + 4 * zeros + 16 * nonzero
    if creation:
        standard += CREATION_GAS + 2 * ((len(data) + 31) // 32)
    floor = INTRINSIC_GAS + 10 * (zeros + 4 * nonzero)
    return max(standard, floor)
