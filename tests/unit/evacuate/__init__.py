"""Unit tests for zha_scheduler.evacuate."""
