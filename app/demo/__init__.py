"""Demo data: named staff and realistic customers for seeding a demo tenant and for benchmarks."""
