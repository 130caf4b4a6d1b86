"""Customer tiers that follow tenant rules over order history (issue #10 item 8)."""
