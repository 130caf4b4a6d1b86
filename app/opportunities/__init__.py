"""Sales opportunities on the tenant's pipeline, contracts, monthly targets and the forecast."""
