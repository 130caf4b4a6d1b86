"""The arq worker: settings and jobs."""
