"""Reaching the chains: the JSON-RPC client, anvil processes, the Rollup type every stage talks to,
and node checkpoints for restarts."""
