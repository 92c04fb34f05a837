"""Compiled contracts (ABI and creation bytecode) from the svs ape project (this repository),
whichever ape project is current (a dApp's tests load them through the pytest plugin)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]  # the repository: contracts/, ape-config.yaml


@dataclass(frozen=True)
class Artifact:
    name: str
    abi: list[dict]
    bytecode: bytes
    runtime: bytes = b""


@cache
def load_artifact(name: str) -> Artifact:
    """The contract ``name`` as ape compiled it (ape compiles on first use)."""
    contract = _svs_project().get_contract(name)
    if contract is None:
        raise ValueError(f"no contract {name} in {ROOT / 'contracts'}")
    contract_type = contract.contract_type
    abi = [entry.model_dump(mode="json", by_alias=True) for entry in contract_type.abi]
    bytecode = contract_type.deployment_bytecode.bytecode if contract_type.deployment_bytecode else None
    if not bytecode:
        raise ValueError(f"{name} has no creation bytecode (is it an interface or abstract?)")
    runtime = contract_type.runtime_bytecode.bytecode if contract_type.runtime_bytecode else None
    return Artifact(name, abi, bytes.fromhex(bytecode.removeprefix("0x")),
                    bytes.fromhex((runtime or "0x").removeprefix("0x")))


@cache
def _svs_project():
    from ape import Project, project

    return project if Path(project.path).resolve() == ROOT else Project(ROOT)
