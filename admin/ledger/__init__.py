"""Staff pages for the ledger itself: year end."""
