"""Unit tests of the host agent's probes (zha_scheduler.agent)."""
