"""The admin's pages and API."""
