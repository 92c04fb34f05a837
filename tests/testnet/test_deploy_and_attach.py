"""The public-testnet path, on local anvil nodes with the testnets' chain ids (Sepolia 11155111,
OP Sepolia 11155420, Base Sepolia 84532) that produce their own blocks (automine), reached
through the same ape networks (optimism:sepolia:node, ...) and environment variables a user
sets. `ape run deploy` runs twice per network; the second run must change nothing. Then attach
mode runs end to end: a transfer relayed, a refused transaction, an L1 batch at a consistent cut,
and a destination leg that fails after its simulation passed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
import requests
from web3 import Web3

from svs.deploy import accounts
from svs.deploy.artifacts import load_artifact
from svs.deploy.suite import CREATE2_FACTORY, SALT, create2_address
from svs.deploy.testnet import BASE_SEPOLIA, OP_SEPOLIA, SEPOLIA
from svs.l1.verifier import Verifier, verify_all
from svs.node.chains import start_anvil, stop
from svs.pipeline.ingress import LIMIT_EXCEEDED, IngressServer
from svs.pipeline.limits import MAX_BATCH_REQUESTS
from svs.run.attach import MAX_ATTEMPTS, AttachIngress, Relayer
from svs.testing.ports import free_port_block

ROOT = Path(__file__).resolve().parents[2]
NETWORKS = {OP_SEPOLIA: ("optimism:sepolia:node", "OP_SEPOLIA_RPC_URL"),
            BASE_SEPOLIA: ("base:sepolia:node", "BASE_SEPOLIA_RPC_URL"),
            SEPOLIA: ("ethereum:sepolia:node", "SEPOLIA_RPC_URL")}
TOKEN = 10**18


@pytest.fixture(scope="module")
def testnets(tmp_path_factory):
    logs = tmp_path_factory.mktemp("testnet-logs")
    base = free_port_block(3)
    nodes = {chain_id: start_anvil(chain_id, base + i, "l1" if chain_id == SEPOLIA else "rollup", logs, automine=True)
             for i, chain_id in enumerate(NETWORKS)}
    yield nodes
    for node in nodes.values():
        stop(node)


def _deploy(nodes, record: Path, chain_id: int) -> subprocess.CompletedProcess:
    env = {**os.environ, **{var: nodes[c].rpc_url for c, (_, var) in NETWORKS.items()}}
    network = NETWORKS[chain_id][0]
    return subprocess.run(["ape", "run", "deploy", "--network", network, "--account", "TEST::0", "--record",
                           str(record), "--sequencer", accounts.sequencer().address],
                          capture_output=True, text=True, timeout=300, cwd=ROOT, env=env)


@pytest.fixture(scope="module")
def record(testnets, tmp_path_factory) -> dict:
    path = tmp_path_factory.mktemp("deployments") / "testnets.json"
    refused = _deploy(testnets, path, SEPOLIA)  # the inbox needs the rollups first
    assert refused.returncode != 0 and "deploy to chain(s) 11155420, 84532 first" in refused.stderr
    for chain_id in (OP_SEPOLIA, BASE_SEPOLIA, SEPOLIA):
        run = _deploy(testnets, path, chain_id)
        assert run.returncode == 0 and "deployed" in run.stdout, run.stdout + run.stderr
    first = path.read_text()
    nonces = {c: Web3(Web3.HTTPProvider(n.rpc_url)).eth.get_transaction_count(accounts.owner().address)
              for c, n in testnets.items()}
    for chain_id in (OP_SEPOLIA, BASE_SEPOLIA, SEPOLIA):
        again = _deploy(testnets, path, chain_id)
        assert again.returncode == 0 and "nothing to deploy: all found" in again.stdout, again.stdout + again.stderr
    assert path.read_text() == first, "a second run changed the record"
    assert nonces == {c: Web3(Web3.HTTPProvider(n.rpc_url)).eth.get_transaction_count(accounts.owner().address)
                      for c, n in testnets.items()}, "a second run sent transactions"
    return json.loads(first)


def test_the_record_has_the_sequencers_format_and_equal_addresses(record):
    rollups = [record["chains"][str(c)] for c in (OP_SEPOLIA, BASE_SEPOLIA)]
    assert record["rollups"] == [OP_SEPOLIA, BASE_SEPOLIA] and record["sequencer"] == accounts.sequencer().address
    assert rollups[0]["contracts"] == rollups[1]["contracts"] and all(r["role"] == "rollup" for r in rollups)
    assert set(rollups[0]["contracts"]) == {"MintBurnSystemContract", "GeneralSystemContract", "BridgeableToken",
                                            "CrossChainCounter"}
    assert record["chains"][str(SEPOLIA)]["role"] == "l1" and "BatchInbox" in record["chains"][str(SEPOLIA)]["contracts"]


def test_attach_mode_mints_deposits_and_lets_only_the_bridges_token_exit(record):
    """(Before the end-to-end test, which leaves a call pair stuck and so no cut to post.)
    A deposit on the L1 (Sepolia's chain id) is minted on Base by the relayer once, at
    height 0 like every leg of an asynchronous deployment; a burn to L1 passes the ingress guard
    only for the bridge's token, needs no leg from the relayer, and is finalized on L1 once a
    posted batch covers it."""
    from svs.deploy.record import Deployment
    from svs.l1.exits import BridgeClient, build_exit_proof, covering_batch, find_exit
    from svs.node.rollup import Rollup

    relayer = Relayer(record, accounts.sequencer(), l1_confirmations=0)
    l1 = record["chains"][str(SEPOLIA)]
    owner = accounts.owner()
    bridge = BridgeClient(l1["rpc"], l1["contracts"]["L1Bridge"], owner)
    base = Web3(Web3.HTTPProvider(record["chains"][str(BASE_SEPOLIA)]["rpc"]))
    token = _contract(base, record, "BridgeableToken")
    recipient = accounts.user(5).address
    before = token.functions.balanceOf(recipient).call()
    bridge.deposit(BASE_SEPOLIA, recipient, 2 * TOKEN)
    report = relayer.poll()
    assert report.delivered == 1 and not report.failures, report
    assert token.functions.balanceOf(recipient).call() == before + 2 * TOKEN
    assert relayer.poll().delivered == 0
    assert relayer.status()["l1Legs"]["rollups"][str(BASE_SEPOLIA)]["depositsServed"] == 1

    op = Web3(Web3.HTTPProvider(record["chains"][str(OP_SEPOLIA)]["rpc"]))
    mint_burn = _contract(op, record, "MintBurnSystemContract")
    op_token = record["chains"][str(OP_SEPOLIA)]["contracts"]["BridgeableToken"]

    def signed_burn(token_address: str) -> bytes:
        tx = mint_burn.functions.burn(SEPOLIA, owner.address, token_address, TOKEN).build_transaction({
            "from": owner.address, "gas": 400_000, "gasPrice": op.eth.gas_price * 2, "chainId": OP_SEPOLIA,
            "nonce": op.eth.get_transaction_count(owner.address, "pending")})
        return bytes(owner.sign_transaction(tx).raw_transaction)

    artifact = load_artifact("BridgeableToken")
    other = op.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode).constructor(
        "Other", "OTH", mint_burn.address, owner.address, 10 * TOKEN).build_transaction({
            "from": owner.address, "gas": 3_000_000, "gasPrice": op.eth.gas_price * 2, "chainId": OP_SEPOLIA,
            "nonce": op.eth.get_transaction_count(owner.address, "pending")})
    created = op.eth.wait_for_transaction_receipt(op.eth.send_raw_transaction(
        owner.sign_transaction(other).raw_transaction)).contractAddress
    refused = relayer.refusal(OP_SEPOLIA, signed_burn(created))  # an ERC-7802 token, not the bridge's
    assert refused is not None and "only token" in refused, refused
    raw = signed_burn(op_token)
    assert relayer.refusal(OP_SEPOLIA, raw) is None
    burn = op.eth.send_raw_transaction(raw).to_0x_hex()
    op.eth.wait_for_transaction_receipt(burn)
    assert relayer.poll().failures == []  # an exit is no leg to deliver
    posted = relayer.post()
    assert posted.l1_batch is not None and posted.l1_batch.ok, posted
    rollup = Rollup.of(Deployment(record).rollups[OP_SEPOLIA])
    leg, block = find_exit(rollup, SEPOLIA, burn)
    batch = covering_batch(relayer.inbox, OP_SEPOLIA, block)
    l1_balance = bridge.w3.eth.contract(address=bridge.l1_token(), abi=load_artifact("BridgeableToken").abi)
    before_l1 = l1_balance.functions.balanceOf(owner.address).call()
    bridge.finalize_exit(leg, build_exit_proof(relayer.inbox, rollup, leg, batch, bridge))
    assert l1_balance.functions.balanceOf(owner.address).call() == before_l1 + TOKEN


@pytest.fixture
def attached(record):
    relayer = Relayer(record, accounts.sequencer())
    servers = {c: IngressServer(AttachIngress(relayer, c), "127.0.0.1", 0).start() for c in relayer.rollups}
    yield relayer, {c: Web3(Web3.HTTPProvider(s.url)) for c, s in servers.items()}
    for server in servers.values():
        server.stop()


def _send(w3: Web3, contract_call, gas: int = 400_000) -> str:
    """Send and wait until mined: anvil's automine answers eth_sendRawTransaction before the
    block is mined, and a relayer poll in between finds nothing to deliver (which left the leg
    for the next test's poll to deliver: 0 and then 2 legs where each test expected 1)."""
    sender = accounts.owner()  # TEST::0 deployed the token and holds its supply
    tx = contract_call.build_transaction({"from": sender.address, "gas": gas, "gasPrice": w3.eth.gas_price * 2,
                                          "nonce": w3.eth.get_transaction_count(sender.address, "pending"),
                                          "chainId": w3.eth.chain_id})
    tx_hash = w3.eth.send_raw_transaction(sender.sign_transaction(tx).raw_transaction)
    w3.eth.wait_for_transaction_receipt(tx_hash, timeout=30)
    return tx_hash.to_0x_hex()


def _contract(w3, record, name, address=None):
    chain = record["chains"][str(w3.eth.chain_id)]
    return w3.eth.contract(address=address or chain["contracts"][name], abi=load_artifact(name).abi)


def test_attach_mode_posts_in_blobs_when_asked_and_the_verifier_reads_them_back(record, testnets):
    """Before the end-to-end test, which leaves a pair stuck (no consistent cut after it)."""
    relayer = Relayer(record, accounts.sequencer(), data_availability="blobs")
    op = Web3(Web3.HTTPProvider(testnets[OP_SEPOLIA].rpc_url))
    token = record["chains"][str(OP_SEPOLIA)]["contracts"]["BridgeableToken"]
    _send(op, _contract(op, record, "MintBurnSystemContract").functions.burn(BASE_SEPOLIA, accounts.user(3).address,
                                                                            token, TOKEN))
    assert relayer.poll().delivered == 1
    posted = relayer.post()
    assert posted.l1_batch is not None and posted.l1_batch.ok and posted.l1_batch.blobs == 2, posted
    verdicts, _ = verify_all(Verifier(relayer.inbox, relayer.rollups, lockstep=False), None)
    assert verdicts and all(v.ok for v in verdicts), [v.line() for v in verdicts]


def test_attach_mode_end_to_end(record, attached):
    relayer, w3 = attached
    op, base = w3[OP_SEPOLIA], w3[BASE_SEPOLIA]
    recipient = accounts.user(3).address
    before = _contract(base, record, "BridgeableToken").functions.balanceOf(recipient).call()

    # 1. A transfer OP -> Base goes through the ingress to the node, and the relayer mints it.
    mint_burn = _contract(op, record, "MintBurnSystemContract")
    _send(op, mint_burn.functions.burn(BASE_SEPOLIA, recipient, record["chains"][str(OP_SEPOLIA)]["contracts"]
                                       ["BridgeableToken"], TOKEN))
    report = relayer.poll()
    assert report.delivered == 1 and not report.failures, report
    assert _contract(base, record, "BridgeableToken").functions.balanceOf(recipient).call() == before + TOKEN
    assert relayer.poll().delivered == 0  # nothing twice

    # 2. A trigger whose action would revert is refused at the ingress, with the reason.
    counter = _contract(base, record, "CrossChainCounter")
    general = _contract(op, record, "GeneralSystemContract")
    height = op.eth.block_number
    with pytest.raises(Exception, match="destination leg would fail on chain 84532.*CrossChainCounterZeroIncrement"):
        _send(op, general.functions.trigger(BASE_SEPOLIA, counter.address, counter.encode_abi("increment", [0]), 100_000))
    assert op.eth.block_number == height  # it never reached the chain

    # 3. L1: a batch with proofs at a consistent cut is accepted by the strict inbox.
    posted = relayer.post()
    assert posted.no_cut is None and posted.l1_batch is not None and posted.l1_batch.ok, posted

    # 4. A leg that fails after its simulation: the target has no code when the trigger is
    #    simulated (a call to an empty account succeeds), then code appears there that burns all gas.
    probes_code = load_artifact("ActionProbes").bytecode
    target = create2_address(probes_code)
    burn_all_gas = Web3.keccak(text="burnAllGas()")[:4]
    _send(op, general.functions.trigger(BASE_SEPOLIA, target, burn_all_gas, 50_000))
    owner = accounts.owner()
    deploy = {"to": Web3.to_checksum_address(CREATE2_FACTORY), "data": SALT + probes_code, "gas": 1_000_000,
              "gasPrice": base.eth.gas_price * 2, "nonce": base.eth.get_transaction_count(owner.address), "chainId": BASE_SEPOLIA}
    base.eth.wait_for_transaction_receipt(base.eth.send_raw_transaction(owner.sign_transaction(deploy).raw_transaction))
    for attempt in range(MAX_ATTEMPTS):
        report = relayer.poll()
        assert report.delivered == 0 and len(report.failures) == 1, report
        assert f"(attempt {attempt + 1}/{MAX_ATTEMPTS})" in report.failures[0]
    assert relayer.poll().failures == []  # not retried forever
    [stuck] = relayer.status()["stuck"]
    assert stuck.startswith(f"call pair {OP_SEPOLIA}->{BASE_SEPOLIA} stuck at nonce")
    assert "GeneralActionFailed" in stuck and "the trees diverge" in stuck
    blocked = relayer.post()
    assert blocked.l1_batch is None and "no consistent cut" in blocked.no_cut and f"call {OP_SEPOLIA}->{BASE_SEPOLIA}" in blocked.no_cut
    status = op.provider.make_request("sequencer_status", [])["result"]
    assert status["mode"] == "attach" and status["stuck"] == [stuck]


def test_attach_mode_refuses_blobs_at_start_on_an_l1_without_them(record, monkeypatch):
    """Refused when it starts, not at its first post (which used to end attach mode)."""
    from svs.l1.inbox import InboxClient

    monkeypatch.setattr(InboxClient, "blobs_supported", lambda self: False)
    with pytest.raises(ValueError, match="posts in blobs need an L1 that takes blob transactions"):
        Relayer(record, accounts.sequencer(), data_availability="blobs")
    assert not Relayer(record, accounts.sequencer(), data_availability="auto")._batcher.in_blobs


def test_a_poll_that_raises_does_not_stop_attach_mode(record, monkeypatch):
    """A node or L1 failing during a poll is logged; the relay polls again (it used to end)."""
    import threading

    from svs.run.attach import serve

    relayer = Relayer(record, accounts.sequencer())
    calls, real_poll = [], relayer.poll

    def flaky_poll():
        calls.append(time.monotonic())
        if len(calls) == 1:
            raise ConnectionError("a rollup node went away")
        return real_poll()

    monkeypatch.setattr(relayer, "poll", flaky_poll)
    stop = threading.Event()
    runner = threading.Thread(target=serve, args=(relayer, free_port_block(2), 0.1, 0, stop), daemon=True)
    runner.start()
    deadline = time.monotonic() + 30
    while len(calls) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    stop.set()
    runner.join(30)
    assert len(calls) >= 3 and not runner.is_alive()


def test_attach_refuses_a_key_that_is_not_the_sequencer(record):
    with pytest.raises(Exception, match="only the sequencer may mint"):
        Relayer(record, accounts.user(5))


def test_the_sequencer_cli_runs_attach_mode_from_the_record(record, tmp_path):
    path = tmp_path / "record.json"
    path.write_text(json.dumps(record))
    no_key = subprocess.run(["ape", "run", "sequencer", "attach", str(path)], capture_output=True, text=True,
                            timeout=300, cwd=ROOT, env={k: v for k, v in os.environ.items() if k != "SVS_SEQUENCER_KEY"})
    assert no_key.returncode != 0 and "set SVS_SEQUENCER_KEY" in no_key.stderr
    port = free_port_block(2)
    env = {**os.environ, "SVS_SEQUENCER_KEY": accounts.sequencer().key.hex()}
    process = subprocess.Popen(["ape", "run", "sequencer", "attach", str(path), "--port", str(port),
                                "--poll-interval", "0.3", "--batch-every", "1"],
                               cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        op = Web3(Web3.HTTPProvider(f"http://127.0.0.1:{port}"))
        deadline = time.monotonic() + 120
        while not op.is_connected() and time.monotonic() < deadline:
            time.sleep(0.5)
        base = Web3(Web3.HTTPProvider(f"http://127.0.0.1:{port + 1}"))
        token = _contract(base, record, "BridgeableToken")
        recipient = accounts.user(4).address
        before = token.functions.balanceOf(recipient).call()
        mint_burn = _contract(op, record, "MintBurnSystemContract")
        _send(op, mint_burn.functions.burn(BASE_SEPOLIA, recipient, token.address, TOKEN))
        while token.functions.balanceOf(recipient).call() == before and time.monotonic() < deadline:
            time.sleep(0.3)
        assert token.functions.balanceOf(recipient).call() == before + TOKEN
    finally:
        process.send_signal(signal.SIGINT)
        output = process.communicate(timeout=60)[0]
    assert process.returncode == 0, output
    assert "attach mode: relaying for 2 rollups" in output and "relayed 1 leg(s)" in output


def test_the_attach_ingress_bounds_batches_and_answers_malformed_requests_as_the_sequencer_ingress_does(attached):
    """Attach mode's endpoint shares the sequencer ingress's envelope (JsonRpcEndpoint): a batch
    over the limit is refused whole, never forwarded to the node request by request."""
    relayer, w3 = attached
    provider = w3[OP_SEPOLIA].provider
    too_many = [{"jsonrpc": "2.0", "id": i, "method": "eth_chainId", "params": []} for i in range(MAX_BATCH_REQUESTS + 1)]
    reply = requests.post(provider.endpoint_uri, json=too_many, timeout=30).json()
    assert reply["error"]["code"] == LIMIT_EXCEEDED and str(MAX_BATCH_REQUESTS) in reply["error"]["message"]
    bad_params = requests.post(provider.endpoint_uri, json={"jsonrpc": "2.0", "id": 7, "method": "eth_chainId",
                                                           "params": "0x1"}, timeout=30).json()
    assert bad_params["id"] == 7 and bad_params["error"]["code"] == -32602
    not_hex = provider.make_request("eth_sendRawTransaction", ["0xzz"])
    assert not_hex["error"]["code"] == -32602
    assert int(provider.make_request("eth_chainId", [])["result"], 16) == OP_SEPOLIA

