"""Deterministic synthetic salons that look like real YClients data, with their ground truth."""
