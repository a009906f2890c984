"""All storage behind one typed interface; nothing outside this package writes SQL."""
