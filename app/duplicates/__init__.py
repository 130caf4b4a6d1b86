"""Duplicate control (撞单) as a tenant policy, the likely-duplicates scan, and merging customers."""
