"""Business rules. Service functions flush, never commit: the request commits once."""
