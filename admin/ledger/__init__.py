"""Staff pages for the ledger itself: the verify report, year end."""
