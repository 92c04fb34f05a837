"""The sequencer proper: ingress, admission, mempool, builder, self-check, journal, recovery, and the
Sequencer object that runs ticks."""
