"""Staff pages for staff accounts and the audit log."""
