"""Admission rules for a user transaction at the ingress: the checks a node's txpool makes,
against the last committed state plus what is already pending in the shared mempool."""

from __future__ import annotations

from dataclasses import dataclass

from svs.codec.transactions import DecodedTx
from svs.errors import SvsError
from svs.pipeline.limits import MAX_TX_BYTES, MAX_TX_GAS, intrinsic_gas


class Rejected(SvsError, ValueError):
    """The transaction is refused; the message says why (sent back as a JSON-RPC error)."""


@dataclass(frozen=True)
class SenderState:
    """What admission needs to know about a sender on one rollup."""

    committed_nonce: int  # eth_getTransactionCount at the last committed block
    balance: int  # at the last committed block
    pending_next_nonce: int | None  # one past its highest pending nonce in the mempool
    pending_cost: int  # gas * fee + value of its pending transactions


def admit(tx: DecodedTx, chain_id: int, state: SenderState, base_fee: int, reserved: set[str],
          max_bytes: int = MAX_TX_BYTES) -> None:
    """Raise Rejected unless ``tx`` may enter the mempool of rollup ``chain_id``."""
    if len(tx.raw) > max_bytes:
        raise Rejected(f"oversized data: transaction of {len(tx.raw):,} bytes exceeds the limit of {max_bytes:,}")
    if tx.chain_id is None:
        raise Rejected("replay-unprotected transaction (no EIP-155 chain id) is not accepted")
    if tx.chain_id != chain_id:
        raise Rejected(f"wrong chain id: transaction is signed for chain {tx.chain_id}, this endpoint is chain {chain_id}")
    if tx.sender in reserved:
        raise Rejected(f"sender {tx.sender} is reserved for the sequencer's own transactions")
    needed = intrinsic_gas(tx.data, tx.to is None)
    if tx.gas < needed:
        raise Rejected(f"intrinsic gas too low: gas {tx.gas} < {needed} (with {len(tx.data):,} bytes of data, "
                       "EIP-2028 and the EIP-7623 floor)")
    if tx.gas > MAX_TX_GAS:
        raise Rejected(f"exceeds gas limit: gas {tx.gas} > {MAX_TX_GAS} per transaction")
    if tx.max_fee_per_gas < base_fee:
        raise Rejected(f"fee too low: max fee per gas {tx.max_fee_per_gas} < base fee {base_fee}")
    expected = state.pending_next_nonce if state.pending_next_nonce is not None else state.committed_nonce
    if tx.nonce < state.committed_nonce:
        raise Rejected(f"nonce too low: next nonce of {tx.sender} is {state.committed_nonce}, got {tx.nonce}")
    if tx.nonce < expected:
        raise Rejected(f"already known: a transaction with nonce {tx.nonce} from {tx.sender} is pending"
                       " (replacement is not supported)")
    if tx.nonce > expected:
        raise Rejected(f"nonce too high: next nonce of {tx.sender} is {expected}, got {tx.nonce} (gaps are not accepted)")
    if state.balance - state.pending_cost < tx.max_cost:
        raise Rejected(f"insufficient funds for gas * price + value: balance {state.balance},"
                       f" pending {state.pending_cost}, cost {tx.max_cost}")
