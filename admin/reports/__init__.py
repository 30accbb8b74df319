"""Staff pages for reports: dashboards, ledger exports, the monthly support report."""
