"""The kit's importer: an entity declares the header names its fields go by (``ImportSpec``) and
gets upload, column mapping, preview, a background run that resumes, rejected rows and undo."""
