"""Unit tests for zha_scheduler.insight."""
