"""The dashboard page; its numbers come from the same Stats API that API users call."""
