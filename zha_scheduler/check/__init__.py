"""``zha-scheduler check``: find what keeps zha-scheduler from protecting guests.

Every check reads configuration (nova.conf, the agent's and the hook's
config files, systemd units) and, unless skipped, Placement; none changes
anything. :func:`zha_scheduler.check.runner.run` is the library entry point.
"""
