"""Staff pages for reports: dashboards and ledger exports."""
