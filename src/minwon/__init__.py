"""Minwon (민원): issue, verify and record Korean civil documents without stopping."""

__version__ = "0.1.0"
