"""Subcommands that live in modules of their own, each registered by cli.py in a line or two."""
