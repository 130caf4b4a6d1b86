"""Orders: lines with trade-ins, invoice details, the workflow with approvals and stock, payments (回款)."""
