"""Stocktake: count sheets per warehouse, variances against the ledger, approval, adjustments."""
