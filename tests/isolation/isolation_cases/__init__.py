"""Each module's isolation cases (see ``isolation_world.case_modules``): one file per module."""
