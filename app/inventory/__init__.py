"""Warehouses and the stock ledger: movements, levels derived from them, serial-numbered units."""
