"""Kvalitetsgranskning: audits of a sample of case files against a template of questions."""
