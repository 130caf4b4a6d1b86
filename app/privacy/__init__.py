"""Personal information under PIPL: encrypted sensitive fields, consents, data-subject export,
erasure and the retention rule."""
