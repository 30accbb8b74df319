"""Staff pages for honor lists, and their public read-only page."""
