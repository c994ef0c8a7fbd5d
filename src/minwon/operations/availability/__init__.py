"""Availability: what each channel served, minute by minute, and the report made of it."""
