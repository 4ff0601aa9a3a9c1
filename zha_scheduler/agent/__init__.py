"""zha-trait-agent: probe an IBM Z KVM host and publish its traits.

The probes (``sysinfo``, ``network``, ``storage``, ``consistency``, combined
by ``probe``) read the host through ``hostfs.HostFS``, so the same code runs
on a live host and on a copied or constructed tree under another root.
"""
