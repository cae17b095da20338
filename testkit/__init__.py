"""Generators and scorers of test workbooks: development only, never installed."""
