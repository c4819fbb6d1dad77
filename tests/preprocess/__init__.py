"""Levelling, polynomial fit and drift-correction tests."""
