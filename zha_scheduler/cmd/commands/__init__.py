"""Subcommands of ``zha-scheduler``, one module each.

Every module defines ``add_parser(commands)``, which adds its subparser and
sets ``func`` (called with the parsed arguments, returns the exit status).
Modules import Nova and other heavy libraries inside ``func`` only, so that
``zha-scheduler --help`` stays fast.
"""
