"""Fixtures for one part of the project (see conftest.py)."""
