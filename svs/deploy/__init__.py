"""Putting the contract suite on chains: dev accounts, compiled artifacts, CREATE2 deployment and its
record, the local network's bring-up, testnet deployment."""
