"""Unit tests of zha_scheduler."""

# Nova's own unit test package: eventlet patching first, then Nova's objects.
import nova.tests.unit  # noqa: F401
