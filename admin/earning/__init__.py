"""Staff pages for earning: rules catalog, evaluation rounds, activities, approvals."""
