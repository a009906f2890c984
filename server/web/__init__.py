"""What every page shares: the Jinja renderer and HTML responses."""
