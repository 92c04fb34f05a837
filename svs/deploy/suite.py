"""Deploy the contract suite with CREATE2, at the same address on every rollup.

Every contract goes through the deterministic deployment proxy (present on anvil and on the
OP Stack testnets), with a fixed salt and constructor arguments that name no chain. So the same
init code gives the same address everywhere, and a second run finds the contracts where they
must be and deploys nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Callable

import rlp
from eth_abi import encode
from eth_account import Account
from eth_utils import keccak, to_checksum_address
from web3 import Web3

from svs.deploy.artifacts import load_artifact
from svs.errors import SvsError
from svs.node.chains import L1_CHAIN_ID

log = logging.getLogger(__name__)

CREATE2_FACTORY = "0x4e59b44847b379578588920ca78fbf26c0b4956c"
SALT = keccak(text="shared-validity-sequencer/v1")
TOKEN_NAME, TOKEN_SYMBOL = "Shared", "SHR"
ROLLUP_CONTRACTS = ("MintBurnSystemContract", "GeneralSystemContract", "BridgeableToken", "CrossChainCounter")
L1_CONTRACTS = ("BlobHashes", "BatchInbox", "L1Bridge", "L1Token")
DEFAULT_DEPOSIT_WINDOW = 100  # L1 blocks


class DeploymentError(SvsError, RuntimeError):
    """A contract could not be deployed or is not what the record says."""


@dataclass
class SuiteConfig:
    """Who owns, sequences and holds the initial token supply, and which rollups there are.

    ``rollup_chain_ids`` goes into the system contracts' init code (they seed a tree pair per
    counterpart), in this order on every rollup and on the inbox, so the addresses are equal
    everywhere. ``synchronous``: the rollups advance together (local chains, built by the
    sequencer), so leg hashes carry the block height and each L1 submission is one cut; False for
    public testnets served by attach mode (see ``CounterpartTrees``). ``l1_chain_id``: the L1,
    the last counterpart of every MintBurn (deposits and exits; legs with L1 hash height 0). The
    token holder also receives ``initial_supply`` of the L1 token the L1 bridge creates.
    """

    owner: str
    sequencer: str
    token_holder: str
    rollup_chain_ids: tuple[int, ...]
    initial_supply: int = 10**27
    synchronous: bool = True
    l1_chain_id: int = L1_CHAIN_ID


@dataclass(frozen=True)
class InboxConfig:
    """How the L1 inbox judges batches: strict (proofs on submit) or optimistic (bond + window).

    ``first_blocks``: per rollup, the first L2 block of its first batch (1 on fresh local chains,
    the deployment block on a public testnet). ``deposit_window``: L1 blocks within which every
    deposit must be served by an accepted batch (forced inclusion).
    """

    optimistic: bool = False
    bond: int = 0
    challenge_window: int = 0
    first_blocks: tuple[int, ...] = ()
    deposit_window: int = DEFAULT_DEPOSIT_WINDOW

    def __post_init__(self):
        if self.optimistic and (self.bond <= 0 or self.challenge_window <= 0):
            raise ValueError("optimistic mode needs a positive bond and challenge window")
        if not self.optimistic and (self.bond or self.challenge_window):
            raise ValueError("strict mode takes no bond and no challenge window")
        if self.deposit_window <= 0:
            raise ValueError("the deposit window must be at least one L1 block")

    @property
    def mode(self) -> str:
        return "optimistic" if self.optimistic else "strict"

    def as_json(self) -> dict:
        """The deployment record's ``inbox`` entry."""
        return {"mode": self.mode, "bond": self.bond, "challengeWindow": self.challenge_window,
                "depositWindow": self.deposit_window}


def create2_address(init_code: bytes, salt: bytes = SALT, factory: str = CREATE2_FACTORY) -> str:
    digest = keccak(b"\xff" + bytes.fromhex(factory[2:]) + salt + keccak(init_code))
    return to_checksum_address(digest[12:])


def create_address(creator: str, nonce: int) -> str:
    """The address CREATE gives the ``nonce``-th contract ``creator`` makes (contracts start at 1)."""
    return to_checksum_address(keccak(rlp.encode([bytes.fromhex(creator[2:]), nonce]))[12:])


def init_code(name: str, types: list[str], args: list) -> bytes:
    return load_artifact(name).bytecode + encode(types, args)


def rollup_init_codes(config: SuiteConfig) -> dict[str, bytes]:
    """Init code of each rollup contract; later ones take earlier ones' addresses."""
    codes: dict[str, bytes] = {}
    codes["MintBurnSystemContract"] = init_code(
        "MintBurnSystemContract", ["address", "address", "uint256[]", "bool", "uint256"],
        [config.owner, config.sequencer, list(config.rollup_chain_ids), config.synchronous, config.l1_chain_id],
    )
    mint_burn = create2_address(codes["MintBurnSystemContract"])
    codes["GeneralSystemContract"] = init_code(
        "GeneralSystemContract", ["address", "address", "address", "uint256[]", "bool"],
        [config.owner, config.sequencer, mint_burn, list(config.rollup_chain_ids), config.synchronous],
    )
    codes["BridgeableToken"] = init_code(
        "BridgeableToken",
        ["string", "string", "address", "address", "uint256"],
        [TOKEN_NAME, TOKEN_SYMBOL, mint_burn, config.token_holder, config.initial_supply],
    )
    general = create2_address(codes["GeneralSystemContract"])
    codes["CrossChainCounter"] = init_code("CrossChainCounter", ["address"], [general])
    return codes


def bridge_init_code(config: SuiteConfig) -> bytes:
    """Init code of the L1Bridge (the inbox creates it): the rollups' token, the rollups, and the
    L1 token it creates (same name and symbol, ``initial_supply`` to the token holder)."""
    token = create2_address(rollup_init_codes(config)["BridgeableToken"])
    return init_code("L1Bridge", ["address", "uint256[]", "string", "string", "address", "uint256"],
                     [token, list(config.rollup_chain_ids), TOKEN_NAME, TOKEN_SYMBOL, config.token_holder,
                      config.initial_supply])


def blob_hashes_init_code() -> bytes:
    """Init code of BlobHashes (no arguments: one address serves every inbox)."""
    return init_code("BlobHashes", [], [])


def inbox_init_code(config: SuiteConfig, inbox: InboxConfig) -> bytes:
    """Init code of the L1 BatchInbox for the suite ``config`` describes."""
    rollup_codes = rollup_init_codes(config)
    first_blocks = list(inbox.first_blocks) or [1] * len(config.rollup_chain_ids)
    return init_code(
        "BatchInbox",
        ["(address,address,uint256[],uint64[],address,address,bool,uint256,uint256,bool,uint256,address)", "bytes"],
        [(config.owner, config.sequencer, list(config.rollup_chain_ids), first_blocks,
          create2_address(rollup_codes["MintBurnSystemContract"]), create2_address(rollup_codes["GeneralSystemContract"]),
          inbox.optimistic, inbox.bond, inbox.challenge_window, config.synchronous, inbox.deposit_window,
          create2_address(blob_hashes_init_code())),
         bridge_init_code(config)],
    )


def l1_addresses(inbox_address: str) -> dict[str, str]:
    """The L1 contracts of an inbox: BlobHashes (CREATE2, deployed first), the inbox, the bridge
    the inbox creates, and the L1 token the bridge creates."""
    bridge = create_address(inbox_address, 1)
    return {"BlobHashes": create2_address(blob_hashes_init_code()), "BatchInbox": to_checksum_address(inbox_address),
            "L1Bridge": bridge, "L1Token": create_address(bridge, 1)}


def deploy_l1_create2(w3: Web3, deployer: Account | Send, config: SuiteConfig, inbox: InboxConfig) -> tuple[str, bool]:
    """Deploy (or find) BlobHashes, then the inbox (which reads blobs through it); return the
    inbox's address and whether it was deployed now."""
    deploy_create2(w3, deployer, blob_hashes_init_code())
    return deploy_create2(w3, deployer, inbox_init_code(config, inbox))


Send = Callable[[str, bytes], int]  # (to, data) -> block number of the successful transaction


def local_sender(w3: Web3, deployer: Account) -> Send:
    """Sign with a local key (dev accounts) and wait for the receipt."""

    def send(to: str, data: bytes) -> int:
        tx = {"to": to_checksum_address(to), "data": data, "from": deployer.address, "chainId": w3.eth.chain_id,
              "nonce": w3.eth.get_transaction_count(deployer.address, "pending"), "gasPrice": w3.eth.gas_price}
        tx["gas"] = int(w3.eth.estimate_gas(tx) * 1.2)
        signed = deployer.sign_transaction(tx)
        receipt = w3.eth.wait_for_transaction_receipt(w3.eth.send_raw_transaction(signed.raw_transaction), timeout=120)
        if receipt.status != 1:
            raise DeploymentError(f"transaction {receipt.transactionHash.hex()} reverted on chain {w3.eth.chain_id}")
        return receipt.blockNumber

    return send


def deploy_create2(w3: Web3, deployer: Account | Send, code: bytes) -> tuple[str, bool]:
    """Deploy ``code`` through the factory unless already there; return (address, deployed now).
    ``deployer`` is a local account or a ``Send`` (e.g. an ape account, svs.deploy.testnet)."""
    address = create2_address(code)
    if w3.eth.get_code(address):
        return address, False
    if not w3.eth.get_code(to_checksum_address(CREATE2_FACTORY)):
        raise DeploymentError(f"no CREATE2 factory at {CREATE2_FACTORY} on chain {w3.eth.chain_id}")
    send = deployer if callable(deployer) else local_sender(w3, deployer)
    send(CREATE2_FACTORY, SALT + code)
    if not w3.eth.get_code(address):
        raise DeploymentError(f"CREATE2 deployment to {address} failed on chain {w3.eth.chain_id}")
    return address, True


def deploy_rollup_suite(w3: Web3, deployer: Account | Send, config: SuiteConfig) -> dict[str, str]:
    """Deploy (or find) the rollup contracts on one chain; return name -> address."""
    addresses = {}
    for name, code in rollup_init_codes(config).items():
        address, fresh = deploy_create2(w3, deployer, code)
        log.info("%s %s on chain %d at %s", "deployed" if fresh else "found", name, w3.eth.chain_id, address)
        addresses[name] = address
    return addresses


def deploy_inbox(w3: Web3, deployer: Account | Send, config: SuiteConfig, inbox: InboxConfig) -> dict[str, str]:
    """Deploy (or find) the BatchInbox on L1, with the bridge and L1 token it creates; return
    name -> address (L1_CONTRACTS)."""
    address, fresh = deploy_l1_create2(w3, deployer, config, inbox)
    log.info("%s %s BatchInbox on chain %d at %s", "deployed" if fresh else "found", inbox.mode,
             w3.eth.chain_id, address)
    return l1_addresses(address)
