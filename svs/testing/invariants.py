"""The invariants of DESIGN.md, checked against live chains and the journal.

Used after every tick by the integration and property tests. Each check returns a list of
violations (empty when it holds), each naming what broke.
"""

from __future__ import annotations

from collections import defaultdict

from eth_utils import keccak

from svs.codec.legs import ALL_LEG_TOPICS, BURN_LEG_TOPIC, MINT_COUNT_SELECTOR, OUTBOUND_TOPICS
from svs.l1.deposits import DEPOSIT_LEG_TOPIC, EXIT_FINALIZED_TOPIC
from svs.pipeline.selfcheck import read_pair_roots

TOTAL_SUPPLY = "0x" + keccak(text="totalSupply()")[:4].hex()
L1_TOKEN_VIEW = "0x" + keccak(text="L1_TOKEN()")[:4].hex()


def roots_agree(sequencer) -> list[str]:
    """1. Every pair's outbound root and count equal the counterpart's inbound ones."""
    return [p.describe() for p in read_pair_roots(sequencer.chains, sequencer.committed) if not p.equal]


def total_supply(sequencer, token: str) -> int:
    """2. (helper) Token supply summed over all rollups at the committed heights, plus, where L1
    is a counterpart, the L1 token's supply and the legs in flight between L1 and the rollups
    (deposits not minted yet, exits not finalized yet): constant whatever the users do."""
    rollups = sum(int(chain.rpc.call("eth_call", {"to": token, "data": TOTAL_SUPPLY}, hex(sequencer.committed[c])), 16)
                  for c, chain in sequencer.chains.items())
    return rollups + (l1_supply_and_in_flight(sequencer) if sequencer.deposits else 0)


def l1_supply_and_in_flight(sequencer) -> int:
    """The L1 token's supply, plus the amounts of deposits the rollups have not minted and of
    exits L1 has not finalized, all read from the chains (logs and tree counts)."""
    legs = sequencer.deposits.legs
    l1 = sequencer.deposits.l1
    l1_token = "0x" + l1.call("eth_call", {"to": legs.bridge, "data": L1_TOKEN_VIEW}, "latest")[-40:]
    total = int(l1.call("eth_call", {"to": l1_token, "data": TOTAL_SUPPLY}, "latest"), 16)
    counts = sequencer.deposits.status(sequencer.committed)["rollups"].values()
    if all(c["depositsMade"] == c["depositsServed"] and c["exitsBurned"] == c["exitsFinalized"] for c in counts):
        return total  # nothing in flight: no logs to read
    bridge_logs = l1.call("eth_getLogs", {"address": legs.bridge, "fromBlock": hex(legs.from_block), "toBlock": "latest",
                                          "topics": [[DEPOSIT_LEG_TOPIC, EXIT_FINALIZED_TOPIC]]})
    finalized = {(int(e["topics"][1], 16), int(e["topics"][2], 16)) for e in bridge_logs
                 if e["topics"][0] == EXIT_FINALIZED_TOPIC}
    for entry in bridge_logs:
        if entry["topics"][0] != DEPOSIT_LEG_TOPIC:
            continue
        rollup, nonce = int(entry["topics"][1], 16), int(entry["topics"][2], 16)
        served = int(sequencer.chains[rollup].rpc.call("eth_call", {
            "to": sequencer.chains[rollup].mint_burn, "data": "0x" + (MINT_COUNT_SELECTOR + legs.chain_id.to_bytes(32, "big")).hex()},
            hex(sequencer.committed[rollup])), 16)
        if nonce >= served:
            total += _amount(entry)
    for chain_id, chain in sequencer.chains.items():
        burns = chain.rpc.call("eth_getLogs", {"address": chain.mint_burn, "fromBlock": "0x0",
                                               "toBlock": hex(sequencer.committed[chain_id]),
                                               "topics": [BURN_LEG_TOPIC, "0x" + legs.chain_id.to_bytes(32, "big").hex()]})
        total += sum(_amount(e) for e in burns if (chain_id, int(e["topics"][2], 16)) not in finalized)
    return total


def _amount(entry: dict) -> int:
    """The amount of a BurnLeg, DepositLeg or ExitFinalized log (its third data word)."""
    return int(entry["data"][2 + 2 * 64:2 + 3 * 64], 16)


def legs_pair_up(sequencer) -> list[str]:
    """3 and 4. Every leg of an included user transaction has exactly one included counterpart
    with the same leg hash, at the same height; every sequencer leg has an included source."""
    violations = []
    records = {r.hash: r for r in sequencer.journal.included()}
    sources_of: dict[str, int] = {}
    l1 = sequencer.deposits.legs.chain_id if sequencer.deposits else None
    for record in records.values():
        for leg in record.legs:
            if l1 in (leg["source"], leg["destination"]):
                continue  # an L1 leg's other half is on L1 (a deposit) or comes later there (an exit)
            other = records.get(leg["counterpart"])
            if other is None:
                violations.append(f"{record.origin} tx {record.hash} on {record.chain_id}: "
                                  f"counterpart {leg['counterpart']} not included")
                continue
            if other.block != record.block:
                violations.append(f"tx {record.hash} at block {record.block} but its counterpart at block {other.block}")
            if leg["legHash"] not in [x["legHash"] for x in other.legs]:
                violations.append(f"tx {record.hash} leg {leg['legHash']} not carried by its counterpart")
            if record.origin == "user":
                sources_of[leg["counterpart"]] = sources_of.get(leg["counterpart"], 0) + 1
    for tx_hash, count in sources_of.items():
        if count != 1:
            violations.append(f"sequencer leg {tx_hash} is the counterpart of {count} source legs")
    return violations


def heights_equal(sequencer) -> list[str]:
    """4. All rollups stand at the same committed height (a tick advances every rollup)."""
    heights = {c: int(chain.rpc.call("eth_blockNumber"), 16) for c, chain in sequencer.chains.items()}
    if len(set(heights.values())) != 1 or heights != sequencer.committed:
        return [f"heights differ: chains {heights}, committed {sequencer.committed}"]
    return []


def legs_match_on_chain(sequencer, first: int, last: int) -> list[str]:
    """3, read from the chains alone (no journal): at every height in ``first..last``, the leg
    hashes each rollup emitted outbound to each counterpart (BurnLeg, TriggerLeg) are exactly
    the ones the counterpart emitted inbound from it (MintLeg, ActionLeg), in the same order."""
    emitted: dict[tuple[int, int, int, str], list[str]] = defaultdict(list)  # (height, from, to, way)
    for chain_id, chain in sequencer.chains.items():
        logs = chain.rpc.call("eth_getLogs", {"fromBlock": hex(first), "toBlock": hex(last),
                                              "address": [chain.mint_burn, chain.general],
                                              "topics": [list(ALL_LEG_TOPICS)]})
        for entry in logs:
            counterpart = int(entry["topics"][1], 16)
            way = "out" if entry["topics"][0] in OUTBOUND_TOPICS else "in"
            pair = (chain_id, counterpart) if way == "out" else (counterpart, chain_id)
            leg_hash = "0x" + entry["data"][2:][3 * 64:4 * 64]
            emitted[(int(entry["blockNumber"], 16), *pair, way)].append(leg_hash)
    violations = []
    for (height, source, destination, way), hashes in sorted(emitted.items()):
        if source not in sequencer.chains or destination not in sequencer.chains:
            continue  # L1's legs: deposits and exits are not paired within a tick
        other = emitted.get((height, source, destination, "in" if way == "out" else "out"), [])
        if way == "out" and hashes != other:
            violations.append(f"block {height}: legs {source}->{destination} emitted {hashes} at the source "
                              f"but {other} at the destination")
        elif way == "in" and not other:
            violations.append(f"block {height}: {destination} emitted inbound legs from {source} with no source leg")
    return violations


def check_all(sequencer) -> list[str]:
    return roots_agree(sequencer) + legs_pair_up(sequencer) + heights_equal(sequencer)
