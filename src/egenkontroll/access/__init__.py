"""Roles, scopes, the access log and login hardening: who may see which case data, and a record of it."""
