"""Price lists: retail, member, wholesale and tenant-defined prices per product, valid for a period."""
