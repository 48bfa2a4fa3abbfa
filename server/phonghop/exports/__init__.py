"""Tabular reports as office files: the comment table, the follow-up report, statistics."""
