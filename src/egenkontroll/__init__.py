"""Egenkontroll: systematic follow-up for Swedish municipal social services (IFO, barn och unga)."""

__version__ = "0.1.0"
