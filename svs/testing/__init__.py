"""Test machinery: fault injection (the liar and KillAt, both svs.pipeline.hooks.TickHooks), the
design's invariants on live chains,
direct devnets, free ports, and the chaos run."""
