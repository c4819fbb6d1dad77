"""Tests of the deconv package."""
