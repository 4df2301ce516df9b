"""Validation with Great Expectations: suites from expectations/, findings per row."""
