"""The SQLite engine of the storage interface (the embedded default): one file, WAL,
``synchronous=FULL``, one group-committing writer and a reader connection."""
