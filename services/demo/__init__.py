"""Demo data: a realistic county for a first look and for the browser tests."""
