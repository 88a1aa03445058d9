"""Fibocom: L610 (TCP/UDP over the +MIP command family)."""
