"""Tests of the tip package."""
