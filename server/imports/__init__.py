"""Import cards from a tracker's CSV export (Jira, Azure DevOps, GitHub)."""
