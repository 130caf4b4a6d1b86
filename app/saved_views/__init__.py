"""Saved list views: a person's named filter + sort + columns, shown as tabs above a kit list."""
