"""Customers: the first complete entity, and the pattern later modules copy."""
