"""The running service (ape run sequencer): nodes, ingress servers, the tick clock, attach mode, and
the demo."""
