"""The catalog: product categories (with the 三包 warranty baseline), brands and products."""
