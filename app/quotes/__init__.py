"""Quotes (报价单): lines priced from a price list, totals with tax, a PDF on the dealer's
letterhead, converted to an order in one step."""
