"""Measurement: the throughput benchmark and the gas tables."""
