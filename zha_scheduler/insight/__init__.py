"""Operator insight: explain a placement, audit server groups, check capacity.

Every command works on a ``Snapshot`` of the cloud: read live from the Nova
and Placement APIs (``collect``) or loaded from a file saved earlier.
"""
