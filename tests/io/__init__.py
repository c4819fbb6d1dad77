"""Reader, writer and levelling tests."""
