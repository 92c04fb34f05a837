"""A local L1 and rollups on anvil with the suite and two inboxes (strict and optimistic)
deployed, driven directly rather than through the sequencer.

The inbox tests, the challenger tests and the inbox gas figures use it: they need rollup states
an honest sequencer would never produce (a burn without its mint, a mint without a burn), and
batches a lying sequencer would post. Rollups mine only when asked (``mine``), so a thousand
transfers land in one block, as a sequencer tick would put them.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from eth_abi import encode
from eth_account.signers.local import LocalAccount
from web3 import Web3

from svs.codec.batches import Batch
from svs.codec.layout import Direction, tree_slots
from svs.codec.legs import BURN_SELECTOR, TRIGGER_SELECTOR, CallLeg, TransferLeg, destination_calldata, destination_gas
from svs.codec.signer import LegacySigner
from svs.deploy import accounts
from svs.deploy.localnet import deploy_suite, start_nodes, suite_config
from svs.deploy.suite import InboxConfig, deploy_inbox
from svs.l1.batcher import collect
from svs.l1.inbox import InboxClient, Sent
from svs.l1.proofs import CommitmentProof
from svs.node.chains import Node, stop
from svs.node.rollup import Rollup
from svs.node.rpc import RpcClient
from svs.testing.ports import free_port_block

GAS_PRICE = 3 * 10**9
BURN_GAS = 200_000
OPTIMISTIC = InboxConfig(optimistic=True, bond=10**18, challenge_window=3600)


@dataclass
class DevNet:
    state_dir: Path
    rollups: int = 2
    nodes: list[Node] = field(default_factory=list)
    rpc: dict[int, RpcClient] = field(default_factory=dict)
    contracts: dict[str, str] = field(default_factory=dict)  # same addresses on every rollup
    inboxes: dict[str, InboxClient] = field(default_factory=dict)  # "strict", "optimistic"

    # --- lifecycle -------------------------------------------------------------------------

    def start(self) -> "DevNet":
        base = free_port_block(self.rollups + 1)
        start_nodes(self.state_dir / "logs", base, [base + 1 + i for i in range(self.rollups)], self.nodes)
        deployment = deploy_suite(self.nodes, InboxConfig())
        self.contracts = dict(next(iter(deployment.rollups.values())).contracts)
        self.rpc = {c: RpcClient(r.rpc) for c, r in deployment.rollups.items()}
        self.inboxes["strict"] = InboxClient(self.l1_url, deployment.l1["BatchInbox"], accounts.sequencer())
        optimistic = deploy_inbox(Web3(Web3.HTTPProvider(self.l1_url)), accounts.owner(), suite_config(self.rollups),
                                  OPTIMISTIC)
        self.inboxes["optimistic"] = InboxClient(self.l1_url, optimistic["BatchInbox"], accounts.sequencer())
        self.inboxes["optimistic"].post_bond(OPTIMISTIC.bond)
        return self

    def stop(self) -> None:
        for node in self.nodes:
            stop(node)

    @property
    def l1_url(self) -> str:
        return self.nodes[0].rpc_url

    @property
    def chain_ids(self) -> list[int]:
        return sorted(self.rpc)

    def rpc_l1(self, method: str, *params):
        return RpcClient(self.l1_url).call(method, *params)

    def snapshot(self) -> dict[str, str]:
        return {n.rpc_url: RpcClient(n.rpc_url).call("evm_snapshot") for n in self.nodes}

    def revert(self, snapshot: dict[str, str]) -> None:
        for url, snap in snapshot.items():
            if not RpcClient(url).call("evm_revert", snap):
                raise RuntimeError(f"evm_revert {snap} failed on {url}")

    # --- rollup state ----------------------------------------------------------------------

    def tree(self, chain_id: int, contract: str, direction: Direction, counterpart: int) -> tuple[str, int]:
        """(root, count) of a tree at the latest block."""
        address = self.contracts[contract]
        root_slot, count_slot = tree_slots(direction, counterpart)
        root, count = self.rpc[chain_id].batch_strict([("eth_getStorageAt", [address, hex(root_slot), "latest"]),
                                                       ("eth_getStorageAt", [address, hex(count_slot), "latest"])])
        return "0x" + root[2:].rjust(64, "0"), int(count, 16)

    def send(self, chain_id: int, account: LocalAccount, txs: list[tuple[str, bytes, int]]) -> list[str]:
        """Sign (to, data, gas) transactions from ``account`` and send them, in order."""
        rpc = self.rpc[chain_id]
        nonce = int(rpc.call("eth_getTransactionCount", account.address, "pending"), 16)
        signer = LegacySigner(bytes(account.key), chain_id)
        signed = [signer.sign(nonce + i, GAS_PRICE, gas, bytes.fromhex(to[2:]), 0, data)
                  for i, (to, data, gas) in enumerate(txs)]
        for result in rpc.send_in_order([raw for raw, _ in signed]):
            if isinstance(result, Exception):
                raise result
        return [tx_hash for _, tx_hash in signed]

    def mine(self) -> None:
        """One block on every rollup; every transaction sent must have succeeded."""
        for chain_id, rpc in self.rpc.items():
            rpc.call("evm_mine")
            block = rpc.call("eth_getBlockByNumber", "latest", False)
            receipts = rpc.batch_strict([("eth_getTransactionReceipt", [h]) for h in block["transactions"]])
            failed = [r["transactionHash"] for r in receipts if r["status"] != "0x1"]
            if failed:
                raise RuntimeError(f"chain {chain_id}: {len(failed)} transaction(s) reverted, first {failed[0]}")

    def transfers(self, source: int, destination: int, count: int, burn: bool = True, mint: bool = True,
                  amount: int = 10**15) -> list[TransferLeg]:
        """``count`` transfers from user 0 to user 1: the burns on ``source`` and/or the mints on
        ``destination`` (one without the other is what a lying sequencer leaves behind)."""
        user, token = accounts.user(0), self.contracts["BridgeableToken"]
        first_nonce = self.tree(destination if not burn else source, "MintBurnSystemContract",
                                "outbound" if burn else "inbound", destination if burn else source)[1]
        legs = [TransferLeg(source, destination, first_nonce + i, user.address, accounts.user(1).address, token, amount)
                for i in range(count)]
        if burn:
            data = BURN_SELECTOR + encode(["uint256", "address", "address", "uint256"],
                                          [destination, accounts.user(1).address, token, amount])
            self.send(source, user, [(self.contracts["MintBurnSystemContract"], data, BURN_GAS)] * count)
        if mint:
            self.send(destination, accounts.sequencer(),
                      [(self.contracts["MintBurnSystemContract"], destination_calldata(leg), destination_gas(leg))
                       for leg in legs])
        self.mine()
        return [replace(leg, height=self.heads()[source]) for leg in legs]  # the suite is synchronous

    def call(self, source: int, destination: int, by: int = 1, trigger: bool = True, action: bool = True) -> CallLeg:
        """A trigger on ``source`` and/or its action (CrossChainCounter.increment) on
        ``destination``."""
        user, counter = accounts.user(0), self.contracts["CrossChainCounter"]
        data = Web3.keccak(text="increment(uint256)")[:4] + encode(["uint256"], [by])
        nonce = (self.tree(source, "GeneralSystemContract", "outbound", destination)[1] if trigger
                 else self.tree(destination, "GeneralSystemContract", "inbound", source)[1])
        leg = CallLeg(source, destination, nonce, user.address, counter, 100_000, data)
        if trigger:
            call = TRIGGER_SELECTOR + encode(["uint256", "address", "bytes", "uint256"], [destination, counter, data, 100_000])
            self.send(source, user, [(self.contracts["GeneralSystemContract"], call, 300_000)])
        if action:
            self.send(destination, accounts.sequencer(),
                      [(self.contracts["GeneralSystemContract"], destination_calldata(leg), destination_gas(leg))])
        self.mine()
        return replace(leg, height=self.heads()[source])  # the suite is synchronous

    # --- batches ---------------------------------------------------------------------------

    def sources(self) -> dict[int, Rollup]:
        return {c: Rollup(c, rpc, self.contracts["MintBurnSystemContract"], self.contracts["GeneralSystemContract"])
                for c, rpc in self.rpc.items()}

    def heads(self) -> dict[int, int]:
        return {c: int(rpc.call("eth_blockNumber"), 16) for c, rpc in self.rpc.items()}

    def collect(self, mode: str, with_proofs: bool | None = None
                ) -> tuple[list[Batch], list[tuple[CommitmentProof, CommitmentProof]] | None]:
        """Every rollup's batch from ``mode``'s inbox's next block to the head, with proofs at the
        head (by default in strict mode only)."""
        inbox, heads = self.inboxes[mode], self.heads()
        ranges = {c: (inbox.next_block(c), heads[c]) for c in self.chain_ids}
        return collect(self.sources(), inbox.rollups(), ranges, mode == "strict" if with_proofs is None else with_proofs)

    def post(self, mode: str, in_blobs: bool = False) -> Sent:
        """Collect and submit an honest batch (as far as the chains are honest); ``in_blobs``:
        with the data in EIP-4844 blobs."""
        batches, proofs = self.collect(mode)
        return self.inboxes[mode].submit(batches, proofs, in_blobs=in_blobs)
