"""Planering: when would the 14-day and 4-month limits break under a surge? (core.planning on a page)."""
