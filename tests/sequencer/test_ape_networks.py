"""ape itself against the ingress: the repo's `ethereum:svs-901:node` network (ape-config.yaml),
ape's accounts, a deployment and calls, in a subprocess as a user runs them."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
CLIENT = ROOT / "tests" / "support" / "ape_client" / "use_the_rollup.py"


def ticking(system, stop: threading.Event) -> threading.Thread:
    """The clock a running sequencer has: a tick whenever something is pending."""
    def run():
        while not stop.wait(0.2):
            system.sequencer.tick(allow_empty=False)
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def client_project(tmp_path: Path, system) -> Path:
    """A throwaway ape project with the repo's network entries, the ports pointed at this
    system's ingress (the config's own ports belong to `./svs.sh run`)."""
    config = yaml.safe_load((ROOT / "ape-config.yaml").read_text())
    project = tmp_path / "client"
    (project / "scripts").mkdir(parents=True)
    entries = config["node"]["ethereum"]
    for chain_id, url in system.urls.items():
        assert f"svs-{chain_id}" in entries, f"ape-config.yaml has no svs-{chain_id} network"
        entries[f"svs-{chain_id}"]["uri"] = url
    keep = {"name": "svs-client", "networks": config["networks"], "node": {"ethereum": entries}}
    (project / "ape-config.yaml").write_text(yaml.safe_dump(keep))
    shutil.copy(CLIENT, project / "scripts" / CLIENT.name)
    return project


def test_ape_deploys_and_calls_through_the_ingress(system, users, tmp_path, project):
    a = system.chain_ids[0]
    recipient = users[6].address
    given = {"chainId": a, "account": 2, "general": system.addresses[a]["GeneralSystemContract"],
             "token": system.token, "recipient": recipient,
             "counter": project.CrossChainCounter.contract_type.model_dump(mode="json", by_alias=True),
             "tokenType": project.BridgeableToken.contract_type.model_dump(mode="json", by_alias=True)}
    stop = threading.Event()
    clock = ticking(system, stop)
    try:
        done = subprocess.run([str(Path(sys.executable).with_name("ape")), "run", CLIENT.stem, "--network",
                               f"ethereum:svs-{a}:node"], cwd=client_project(tmp_path, system),
                              env={**os.environ, "SVS_APE_CLIENT": json.dumps(given)},
                              capture_output=True, text=True, timeout=300)
    finally:
        stop.set()
        clock.join(10)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["block"] <= out["height"] == system.sequencer.committed[a]
    counter = system.contract(a, "CrossChainCounter", out["counter"])
    assert counter.functions.count().call() == 0
    assert system.balance(a, recipient) == 5


def test_ape_console_on_the_rollup_network(system, users, tmp_path):
    """`ape console --network ethereum:svs-<id>:node`, typed into as a user would (IPython reads
    the lines from stdin): the chain is the rollup, and a test account's transfer lands."""
    a = system.chain_ids[0]
    receiver = users[7].address
    before = system.w3[a].eth.get_balance(receiver)
    typed = "\n".join([
        "print('CHAIN', chain.chain_id, 'HEAD', chain.blocks.head.number)",
        f"receipt = accounts.test_accounts[3].transfer('{receiver}', 12345)",
        "print('RECEIPT', receipt.status, receipt.block_number)",
        "exit()",
    ]) + "\n"
    stop = threading.Event()
    clock = ticking(system, stop)
    try:
        done = subprocess.run([str(Path(sys.executable).with_name("ape")), "console", "--network",
                               f"ethereum:svs-{a}:node"], cwd=client_project(tmp_path, system), input=typed,
                              capture_output=True, text=True, timeout=300)
    finally:
        stop.set()
        clock.join(10)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    seen = re.search(r"CHAIN (\d+) HEAD (\d+)", done.stdout), re.search(r"RECEIPT (\d+) (\d+)", done.stdout)
    assert all(seen), done.stdout[-3000:] + done.stderr[-3000:]
    (chain_id, head), (status, block) = (m.groups() for m in seen)
    assert int(chain_id) == a and int(head) <= system.sequencer.committed[a]
    assert status == "1" and int(block) <= system.sequencer.committed[a]
    assert system.w3[a].eth.get_balance(receiver) == before + 12345
