"""Reaching the chains: the JSON-RPC client, anvil processes, and node checkpoints for restarts."""
