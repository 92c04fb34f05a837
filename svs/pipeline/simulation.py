"""``sequencer_simulate``: what a transaction or a bundle would do, without sending it.

The sources run in one ``eth_simulateV1`` block on their rollup's committed head (the next
height, now's timestamp), in order, so a bundle's later transactions see the earlier ones. Every
cross-chain leg they emit then runs on its destination, as the sequencer would send it: from the
sequencer's address, with the nonce its stream expects, in one simulated block per destination.
The answer per transaction: whether it succeeds, its gas, its legs (each with success, gas, and
the decoded reason when it fails), and what the sequencer would do with it (include it, include
it reverted, or exclude it and why).

It is a prediction on committed state: the tick that really builds it also holds other users'
transactions, which can change the outcome (a balance spent first, a counter moved). Bounded:
at most MAX_SIMULATE_TXS transactions, CALL_GAS_CAP gas over the whole bundle (a call object
without gas gets an equal share), and MAX_SIMULATE_LEGS legs per call.
"""

from __future__ import annotations

import time
from collections import defaultdict
from typing import Any, Callable

from eth_utils import is_address, to_checksum_address

from svs.codec.legs import (
    ACTION_COUNT_SELECTOR,
    MINT_COUNT_SELECTOR,
    OUTBOUND_TOPICS,
    Leg,
    TransferLeg,
    decode_outbound_log,
    destination_calldata,
    destination_gas,
)
from svs.codec.reverts import describe_revert
from svs.codec.transactions import InvalidTransaction, decode_raw_transaction
from svs.errors import SvsError
from svs.pipeline.builder import unserved_reason
from svs.pipeline.limits import CALL_GAS_CAP

MAX_SIMULATE_TXS = 16
MAX_SIMULATE_LEGS = 64
NESTED = "it emitted a further cross-chain leg (nested legs are not supported)"  # as the builder says


class SimulationError(SvsError, ValueError):
    """The request cannot be simulated (bad input, or over a bound); the message says why."""


Read = Callable[..., Any]  # (chain_id, method, *params) -> result, through the ingress's read slots


class Simulator:
    def __init__(self, sequencer, read: Read):
        self.sequencer = sequencer
        self.read = read

    def simulate(self, chain_id: int, items: list) -> dict:
        """``items``: signed raw transactions (hex) or call objects ({from, to, data, value, gas})."""
        if not isinstance(items, list) or not 1 <= len(items) <= MAX_SIMULATE_TXS:
            raise SimulationError(f"expected 1 to {MAX_SIMULATE_TXS} transactions")
        calls = [self._call_of(chain_id, item, CALL_GAS_CAP // len(items)) for item in items]
        asked = sum(int(call["gas"], 16) for call in calls)
        if asked > CALL_GAS_CAP:
            raise SimulationError(f"the bundle asks for {asked:,} gas, more than the {CALL_GAS_CAP:,} one "
                                  "simulation may use")
        heads = dict(self.sequencer.committed)
        timestamp = int(time.time())
        results = self._run(chain_id, heads[chain_id], timestamp, calls)
        answers, legs = [], []
        for call, result in zip(calls, results):
            answer, emitted = self._source_answer(chain_id, call, result)
            answers.append(answer)
            legs.extend((answer, leg) for leg in emitted)
        if len(legs) > MAX_SIMULATE_LEGS:
            raise SimulationError(f"the bundle emits {len(legs)} legs, more than the {MAX_SIMULATE_LEGS} simulated")
        self._run_legs(legs, heads, timestamp)
        for answer in answers:
            answer["outcome"] = _outcome(answer)
        return {"chainId": chain_id, "block": heads[chain_id] + 1, "transactions": answers,
                "wouldBeIncluded": all(a["outcome"] != "excluded" for a in answers)}

    # --- sources ---------------------------------------------------------------------------

    def _call_of(self, chain_id: int, item: Any, default_gas: int) -> dict:
        """The eth_simulateV1 call of one item; a call object without gas gets ``default_gas``."""
        if isinstance(item, str):
            try:
                tx = decode_raw_transaction(bytes.fromhex(item.removeprefix("0x")))
            except (ValueError, InvalidTransaction) as err:
                raise SimulationError(f"not a signed transaction: {err}") from err
            if tx.chain_id not in (None, chain_id):
                raise SimulationError(f"signed for chain {tx.chain_id}, this endpoint is chain {chain_id}")
            return {"from": tx.sender, "to": tx.to, "data": "0x" + tx.data.hex(), "value": hex(tx.value),
                    "gas": hex(tx.gas)}
        if not isinstance(item, dict) or not is_address(item.get("from")) or not (
                item.get("to") is None or is_address(item["to"])):
            raise SimulationError("expected a signed transaction or a call object with from and to addresses")
        call = {"from": to_checksum_address(item["from"]), "to": item.get("to"),
                "data": item.get("data") or item.get("input") or "0x"}
        try:
            call["value"] = hex(int(item.get("value") or "0x0", 16))
            call["gas"] = hex(int(item["gas"], 16) if item.get("gas") else default_gas)
            bytes.fromhex(call["data"].removeprefix("0x"))
        except (TypeError, ValueError) as err:
            raise SimulationError(f"invalid call object: {err}") from err
        return call

    def _run(self, chain_id: int, head: int, timestamp: int, calls: list[dict]) -> list[dict]:
        block = {"blockOverrides": {"number": hex(head + 1), "time": hex(timestamp)}, "calls": calls}
        return self.read(chain_id, "eth_simulateV1", {"blockStateCalls": [block], "validation": False},
                         hex(head))[0]["calls"]

    def _source_answer(self, chain_id: int, call: dict, result: dict) -> tuple[dict, list[Leg]]:
        ok = int(result.get("status", "0x0"), 16) == 1
        answer = {"from": call["from"], "to": call["to"], "success": ok, "gasUsed": int(result.get("gasUsed", "0x0"), 16),
                  "reason": None if ok else _reason(result), "legs": []}
        chain = self.sequencer.chains[chain_id]
        systems = {chain.mint_burn.lower(), chain.general.lower()}
        emitted = [decode_outbound_log(entry, chain_id) for entry in result.get("logs", []) if ok
                   and entry["address"].lower() in systems and entry["topics"] and entry["topics"][0] in OUTBOUND_TOPICS]
        return answer, emitted

    # --- destination legs ------------------------------------------------------------------

    def _run_legs(self, legs: list[tuple[dict, Leg]], heads: dict[int, int], timestamp: int) -> None:
        by_destination: dict[int, list[tuple[dict, Leg]]] = defaultdict(list)
        for answer, leg in legs:
            view = _leg_view(leg)
            answer["legs"].append(view)
            unserved = unserved_reason(leg, self.sequencer.chains, self.sequencer.config.l1)
            if unserved is not None:
                view.update(success=False, reason=unserved)
            elif leg.destination not in self.sequencer.chains:  # an exit to L1: finalized there later
                view.update(success=True, note="an exit to L1: finalize it on L1 once its batch is final")
            else:
                by_destination[leg.destination].append((view, leg))
        for destination, entries in by_destination.items():
            chain = self.sequencer.chains[destination]
            calls = []
            next_nonce: dict[tuple[str, int], int] = {}
            for view, leg in entries:
                system = chain.mint_burn if isinstance(leg, TransferLeg) else chain.general
                stream = (system, leg.source)
                if stream not in next_nonce:
                    selector = MINT_COUNT_SELECTOR if isinstance(leg, TransferLeg) else ACTION_COUNT_SELECTOR
                    next_nonce[stream] = int(self.read(destination, "eth_call", {"to": system, "data": "0x" + (
                        selector + leg.source.to_bytes(32, "big")).hex()}, hex(heads[destination])), 16)
                data = bytearray(destination_calldata(leg))
                data[36:68] = next_nonce[stream].to_bytes(32, "big")
                next_nonce[stream] += 1
                calls.append({"from": self.sequencer.address, "to": system, "data": "0x" + data.hex(),
                              "gas": hex(destination_gas(leg))})
            results = self._run(destination, heads[destination], timestamp, calls)
            systems = {chain.mint_burn.lower(), chain.general.lower()}
            for (view, _), result in zip(entries, results):
                ok = int(result.get("status", "0x0"), 16) == 1
                nested = any(e["address"].lower() in systems and e["topics"] and e["topics"][0] in OUTBOUND_TOPICS
                             for e in result.get("logs", []))
                view.update(success=ok and not nested, gasUsed=int(result.get("gasUsed", "0x0"), 16), nested=nested,
                            reason=(NESTED if ok and nested else None if ok else _reason(result)))


def _leg_view(leg: Leg) -> dict:
    view = {"kind": leg.kind.value, "source": leg.source, "destination": leg.destination,
            "sender": to_checksum_address(leg.sender),
            "success": None, "gasUsed": None, "reason": None, "nested": False}
    if isinstance(leg, TransferLeg):
        view.update(recipient=to_checksum_address(leg.recipient), token=to_checksum_address(leg.token),
                    amount=str(leg.amount))
    else:
        view.update(target=to_checksum_address(leg.target), gasLimit=leg.gas_limit, data="0x" + leg.data.hex())
    return view


def _reason(result: dict) -> str:
    error = result.get("error") or {}
    data = result.get("returnData")
    if not (isinstance(data, str) and data != "0x"):
        data = error.get("data") if isinstance(error.get("data"), str) else None
    return describe_revert(data, error.get("message") or "reverted")


def _outcome(answer: dict) -> str:
    """What the sequencer would do with the transaction: a reverted source is included (it asks
    for no leg); a source with a failing leg is excluded, with the leg's reason."""
    if not answer["success"]:
        return "included (reverted)"
    failed = next((leg for leg in answer["legs"] if not leg["success"]), None)
    if failed is not None:
        answer["exclusionReason"] = (f"destination leg {failed['kind']} from {failed['source']} on chain "
                                     f"{failed['destination']} failed: {failed['reason']}")
        return "excluded"
    return "included"
