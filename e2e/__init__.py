"""Browser end-to-end tests: Playwright driving Chromium against a real server."""
