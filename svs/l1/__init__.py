"""Settlement on L1: storage proofs, the BatchInbox client, the batcher that posts every K ticks, and
the verifier that challenges."""
