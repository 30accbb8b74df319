"""Staff pages for follow-up support: responsibility, visits, problems, monitoring."""
