"""The leaktrack command line."""
