"""The sequencer proper: ingress, admission, mempool, builder, the tick plan, self-check, journal,
recovery, the fault-injection hooks, and the Sequencer object that runs ticks."""
