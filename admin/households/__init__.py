"""Staff pages for households: the registry, Excel, cards, life events."""
