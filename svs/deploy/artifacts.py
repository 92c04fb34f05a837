"""Compiled contracts (ABI and creation bytecode) from the ape project."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache


@dataclass(frozen=True)
class Artifact:
    name: str
    abi: list[dict]
    bytecode: bytes
    runtime: bytes = b""


@cache
def load_artifact(name: str) -> Artifact:
    """The contract ``name`` as ape compiled it (ape compiles on first use)."""
    from ape import project

    contract_type = project.get_contract(name).contract_type
    abi = [entry.model_dump(mode="json", by_alias=True) for entry in contract_type.abi]
    bytecode = contract_type.deployment_bytecode.bytecode if contract_type.deployment_bytecode else None
    if not bytecode:
        raise ValueError(f"{name} has no creation bytecode (is it an interface or abstract?)")
    runtime = contract_type.runtime_bytecode.bytecode if contract_type.runtime_bytecode else None
    return Artifact(name, abi, bytes.fromhex(bytecode.removeprefix("0x")),
                    bytes.fromhex((runtime or "0x").removeprefix("0x")))
