"""The running service (ape run sequencer local / attach): nodes, ingress servers, the tick clock,
attach mode, the demo, and the scripts' logging."""
