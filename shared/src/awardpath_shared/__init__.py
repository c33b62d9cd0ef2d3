"""Awardpath shared library: the only code the three services have in common.

Event contracts (`events`), messaging (`messaging`), settings, auth, DB helpers,
HTTP problem details and observability. Services import this package, never each other.
"""
