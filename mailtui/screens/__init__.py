"""The composer's screens, one per file."""
