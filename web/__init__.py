"""The HTMX admin: controllers, Jinja2 templates, static files and translations."""
