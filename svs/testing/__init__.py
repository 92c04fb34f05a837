"""Test machinery: fault injection (the lying sequencer), the design's invariants on live chains,
direct devnets, free ports, and the chaos run."""
