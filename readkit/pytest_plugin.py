"""readkit's pytest plugin for course authors (registered through the pytest11 entry point).

Loaded by every pytest session where readkit is installed, so it imports neither
torch nor libcst at import time.
"""
