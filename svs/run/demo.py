"""The demo the main command runs: four cross-chain cases through the ingress, with web3.py as
the client, then a readable summary.

1. an A->B transfer and 2. a B->A transfer: both legs land at the same height;
3. a burn over balance: the burn reverts on A, so no mint on B;
4. a trigger whose action reverts on B: the trigger is left out of A's block;
5. a trigger whose action succeeds: the counter on B learns who called from A. It comes from
   another sender: a later transaction of the sender of case 4 would be left out too (its nonce
   would follow an excluded one).

Around them, the token's round trip through L1 (svs.run.bridging): first a deposit L1 -> A, then,
after the cases, an exit B -> L1 finalized on L1 once a batch covering it is accepted.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from eth_account.signers.local import LocalAccount
from web3 import Web3

from svs.deploy import accounts
from svs.deploy.artifacts import load_artifact
from svs.deploy.record import Deployment
from svs.run.bridging import Chains, burn_to_l1, deposit, finalize, find_burn
from svs.run.progress import progress

TOKEN = 10**18
GAS_PRICE = 3 * 10**9


@dataclass
class Case:
    title: str
    chain_id: int
    tx_hash: str
    expect: str  # "included", "excluded"


class DemoClient:
    """web3.py against the sequencer's ingress of each rollup."""

    def __init__(self, ingress_urls: dict[int, str], deployment: dict):
        self.w3 = {c: Web3(Web3.HTTPProvider(url)) for c, url in ingress_urls.items()}
        self.urls = dict(ingress_urls)
        self.addresses = {c: r.contracts for c, r in Deployment(deployment).rollups.items()}
        self.chains = Chains(Deployment(deployment))

    def contract(self, chain_id: int, name: str):
        return self.w3[chain_id].eth.contract(address=self.addresses[chain_id][name], abi=load_artifact(name).abi)

    def send(self, chain_id: int, sender: LocalAccount, call, gas: int = 300_000) -> str:
        w3 = self.w3[chain_id]
        tx = call.build_transaction({"from": sender.address, "chainId": chain_id, "gas": gas, "gasPrice": GAS_PRICE,
                                     "nonce": w3.eth.get_transaction_count(sender.address, "pending")})
        return w3.eth.send_raw_transaction(sender.sign_transaction(tx).raw_transaction).to_0x_hex()

    def status(self, chain_id: int, tx_hash: str) -> dict:
        return self.w3[chain_id].provider.make_request("sequencer_getTransactionStatus", [tx_hash])["result"]

    def wait(self, chain_id: int, tx_hash: str, timeout: float = 60.0) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status = self.status(chain_id, tx_hash)
            if status and status["status"] != "pending":
                return status
            time.sleep(0.05)
        raise TimeoutError(f"{tx_hash} still pending after {timeout:.0f}s")

    def balance(self, chain_id: int, who: str) -> int:
        return self.contract(chain_id, "BridgeableToken").functions.balanceOf(who).call()

    def supply(self) -> int:
        """Over every rollup and L1 (nothing is in flight between the demo's steps)."""
        rollups = sum(self.contract(c, "BridgeableToken").functions.totalSupply().call() for c in self.w3)
        return rollups + self.l1_supply()

    def l1_supply(self) -> int:
        if self.chains.deployment.l1 is None or "L1Token" not in self.chains.deployment.l1.contracts:
            return 0
        bridge = self.chains.bridge()
        token = bridge.w3.eth.contract(address=bridge.l1_token(), abi=load_artifact("BridgeableToken").abi)
        return token.functions.totalSupply().call()


def run_demo(ingress_urls: dict[int, str], deployment: dict) -> str:
    """Run the cases and return the summary text (a progress bar on a terminal meanwhile)."""
    with progress("demo: deposit L1 -> rollup", total=7) as advance:
        return _run_demo(ingress_urls, deployment, advance)


def _run_demo(ingress_urls: dict[int, str], deployment: dict, advance) -> str:
    client = DemoClient(ingress_urls, deployment)
    a, b = sorted(ingress_urls)[:2]
    alice, bob, carol, dave = accounts.user(0), accounts.user(1), accounts.user(5), accounts.user(6)
    token = client.addresses[a]["BridgeableToken"]
    before = {"bob_b": client.balance(b, bob.address), "bob_a": client.balance(a, bob.address), "supply": client.supply()}
    counter_b = client.contract(b, "CrossChainCounter")
    count_before = counter_b.functions.count().call()
    sent, nonce, block = deposit(client.chains, alice, a, alice.address, 4 * TOKEN, timeout=60)
    advance(text="demo: five cross-chain cases")
    deposited = (f"{'deposit 4 SHR L1->' + str(a):<40} {sent.tx_hash[:12]}… deposit #{nonce} ({sent.gas_used:,} gas on L1)"
                 f" minted on {a} by block {block}")
    mb_a, mb_b = client.contract(a, "MintBurnSystemContract"), client.contract(b, "MintBurnSystemContract")
    gen_a = client.contract(a, "GeneralSystemContract")
    increment = lambda by: counter_b.encode_abi("increment", [by])  # noqa: E731

    cases = [
        Case(f"transfer 5 SHR {a}->{b}", a, client.send(a, alice, mb_a.functions.burn(b, bob.address, token, 5 * TOKEN)), "included"),
        Case(f"transfer 3 SHR {b}->{a}", b, client.send(b, alice, mb_b.functions.burn(a, bob.address, token, 3 * TOKEN)), "included"),
        Case(f"burn over balance on {a}", a, client.send(a, carol, mb_a.functions.burn(b, bob.address, token, TOKEN)), "included"),
        Case(f"trigger on {a}, action on {b} reverts", a,
             client.send(a, alice, gen_a.functions.trigger(b, counter_b.address, increment(0), 100_000)), "excluded"),
        Case(f"trigger on {a}, action on {b} succeeds", a,
             client.send(a, dave, gen_a.functions.trigger(b, counter_b.address, increment(7), 100_000)), "included"),
    ]
    lines = ["", "=== demo summary ===", deposited]
    for case in cases:
        status = client.wait(case.chain_id, case.tx_hash)
        lines.append(_describe(client, case, status))
        advance()
    advance(0, text="demo: exit to L1 (waits for an accepted batch)")
    lines.append(_exit(client, b, bob))
    advance()
    after = {"bob_b": client.balance(b, bob.address), "bob_a": client.balance(a, bob.address), "supply": client.supply()}
    lines.append(f"bob on {b}: {before['bob_b'] / TOKEN:g} -> {after['bob_b'] / TOKEN:g} SHR;"
                 f" bob on {a}: {before['bob_a'] / TOKEN:g} -> {after['bob_a'] / TOKEN:g} SHR")
    lines.append(f"total supply over L1 and all rollups: {before['supply'] / TOKEN:,.0f} -> {after['supply'] / TOKEN:,.0f} SHR"
                 + (" (unchanged)" if before["supply"] == after["supply"] else " (CHANGED!)"))
    lines.append(f"counter on {b}: {count_before} -> {counter_b.functions.count().call()},"
                 f" last sender {counter_b.functions.lastSender().call()} from chain {counter_b.functions.lastSourceChainId().call()}")
    status = client.w3[a].provider.make_request("sequencer_status", [])["result"]
    agree = all(p["equal"] for p in status["pairs"])
    lines.append(f"roots: {len(status['pairs'])} pair trees, {'all agree' if agree else 'MISMATCH'};"
                 f" heights {status['heights']}")
    return "\n".join(lines)


def _describe(client: DemoClient, case: Case, status: dict) -> str:
    head = f"{case.title:<40} {case.tx_hash[:12]}… {status['status']}"
    if status["status"] == "excluded":
        return f"{head}: {status['reason']}"
    receipt = client.w3[case.chain_id].eth.get_transaction_receipt(case.tx_hash)
    head += f" at block {status['block']}" + ("" if receipt.status == 1 else " (reverted)")
    if not status["legs"]:
        return head + ", no destination leg"
    legs = ", ".join(f"{leg['kind']} leg on chain {leg['destination']} in tx {leg['counterpart'][:12]}…"
                     f" at block {client.status(leg['destination'], leg['counterpart'])['block']}" for leg in status["legs"])
    return f"{head} -> {legs}"


def _exit(client: DemoClient, chain_id: int, holder: LocalAccount) -> str:
    """Exit 2 SHR from ``chain_id`` to L1 and finalize it there (waits for an accepted batch)."""
    tx_hash = burn_to_l1(client.chains, client.urls[chain_id], holder, chain_id, holder.address, 2 * TOKEN)
    leg, block = find_burn(client.chains, chain_id, tx_hash)
    sent, _ = finalize(client.chains, holder, leg, block, timeout=120)
    return (f"{'exit 2 SHR ' + str(chain_id) + '->L1':<40} {tx_hash[:12]}… burned at block {block}, finalized on L1"
            f" ({sent.gas_used:,} gas), L1 balance {client.chains.l1_balance(holder.address) / TOKEN:g} SHR")

