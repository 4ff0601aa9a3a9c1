# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at
#
#      http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
# License for the specific language governing permissions and limitations
# under the License.

"""zha-trait-agent: probe an IBM Z KVM host and publish its traits.

The probes (``sysinfo``, ``network``, ``storage`` for multipath maps,
``dasd`` for DASD channel paths, ``daemons``, ``consistency``; ``disks``
makes one storage verdict, ``probe`` combines them all) read the host
through ``hostfs.HostFS``, so the same code runs on a live host and on a
copied or constructed tree under another root.
"""
