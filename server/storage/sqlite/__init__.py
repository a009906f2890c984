"""The SQLite engine (the embedded default) of the storage interface."""
