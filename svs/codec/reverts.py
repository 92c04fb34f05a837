"""Readable revert reasons: custom errors of every project contract, Error(string), Panic."""

from __future__ import annotations

from functools import cache

from eth_abi import decode
from eth_utils import keccak

from svs.deploy.artifacts import load_artifact

# Contracts whose errors can surface in a destination leg (their ABIs include inherited and
# library errors, e.g. OpenZeppelin's ERC20InsufficientBalance).
ERROR_SOURCES = ("MintBurnSystemContract", "GeneralSystemContract", "BridgeableToken", "CrossChainCounter",
                 "BatchInbox", "L1Bridge")


def _signature_types(entry: dict) -> list[str]:
    return [_abi_type(i) for i in entry.get("inputs", [])]


def _abi_type(item: dict) -> str:
    if item["type"].startswith("tuple"):
        return "(" + ",".join(_abi_type(c) for c in item["components"]) + ")" + item["type"][5:]
    return item["type"]


@cache
def error_table() -> dict[bytes, tuple[str, list[str], list[str]]]:
    """selector -> (name, argument types, argument names)."""
    table: dict[bytes, tuple[str, list[str], list[str]]] = {
        keccak(text="Error(string)")[:4]: ("Error", ["string"], ["message"]),
        keccak(text="Panic(uint256)")[:4]: ("Panic", ["uint256"], ["code"]),
    }
    for name in ERROR_SOURCES:
        for entry in load_artifact(name).abi:
            if entry.get("type") == "error":
                types = _signature_types(entry)
                selector = keccak(text=f"{entry['name']}({','.join(types)})")[:4]
                table[selector] = (entry["name"], types, [i.get("name", "") for i in entry.get("inputs", [])])
    return table  # register_errors adds a dApp's


def register_errors(abi: list[dict]) -> int:
    """Add the custom errors of a dApp's ABI to the table, so that the reasons the sequencer
    gives (exclusions, simulation) name them; returns how many were new."""
    table, added = error_table(), 0
    for entry in abi:
        if entry.get("type") == "error":
            types = _signature_types(entry)
            selector = keccak(text=f"{entry['name']}({','.join(types)})")[:4]
            added += selector not in table
            table.setdefault(selector, (entry["name"], types, [i.get("name", "") for i in entry.get("inputs", [])]))
    return added


def decode_revert(data: bytes) -> str:
    """Name and arguments of revert data; nested reasons (GeneralActionFailed) are decoded too."""
    if not data:
        return "reverted without data"
    entry = error_table().get(data[:4])
    if entry is None:
        return f"reverted with unknown data 0x{data.hex()}"
    name, types, names = entry
    try:
        values = decode(types, data[4:])
    except Exception:  # truncated or garbled arguments
        return f"{name}(<undecodable 0x{data[4:].hex()}>)"
    if name == "Error":
        return values[0]
    parts = []
    for arg_name, arg_type, value in zip(names, types, values):
        if arg_name == "reason" and arg_type == "bytes":
            parts.append(f"{arg_name}={decode_revert(value)}")
        elif isinstance(value, bytes):
            parts.append(f"{arg_name}=0x{value.hex()}")
        else:
            parts.append(f"{arg_name}={value}")
    return f"{name}({', '.join(parts)})"


def describe_revert(output: str | None, error: str | None) -> str:
    """From a callTracer frame: decoded revert data if any, else the tracer's error."""
    if output and output != "0x":
        return decode_revert(bytes.fromhex(output[2:]))
    return error or "reverted"
