"""Customer addresses (delivery, installation, billing), declared on the entity kit."""
