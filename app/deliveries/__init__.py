"""Delivery and installation booking: appointments per slot and team, the technician's day."""
