"""The one way the ZHA tools reach OpenStack and the operator's files.

``auth`` builds keystoneauth sessions and openstacksdk connections from a
config file's keystoneauth options, ``placement_client`` reads Placement
(and writes the agent's traits), ``nova_client`` calls Nova's API and turns
servers into ``model.Instance``, ``topology_files`` reads the partners and
LPAR files, and ``hmc`` opens sessions to the IBM Z HMC.
"""
