"""Connectors: one folder per platform, one contract (DESIGN.md rule 7)."""
