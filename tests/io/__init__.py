"""Reader and writer tests."""
