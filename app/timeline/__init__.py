"""The customer timeline: one chronological view of everything that happened to a customer, built
from registered entry kinds and sources; quick notes with @mentions and attachments."""
