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

"""Options of the evacuation hook, zha-evacuate ([zha_evacuate], [nova])."""

from typing import Any

from oslo_config import cfg

from zha_scheduler.conf import ksa


def _group() -> cfg.OptGroup:
    return cfg.OptGroup(
        name='zha_evacuate',
        title='ZHA evacuation hook options',
        help=('Options for zha-evacuate, which restarts the instances of a '
              'failed IBM Z LPAR (compute host) on its standby partition '
              'through the Nova API, after fencing the LPAR through the HMC '
              'when configured.'))


#: For the sample generator; each ConfigOpts registers a group of its own,
#: since oslo.config keeps overrides and defaults in the group object.
zha_evacuate_group = _group()

evacuate_opts = [
    cfg.StrOpt('partners_file',
        help="""
YAML file mapping each primary compute host to its standby partner host.

Possible values:

* Unset: choose any standby host in another failure domain with room, else
  let Nova's scheduler choose.
* A path, e.g. ``/etc/zha-scheduler/partners.yaml`` with lines such as
  ``lpar1.example.com: lpar9.example.com``.
"""),
    cfg.IntOpt('max_parallel',
        default=3,
        min=1,
        help="""
Instances evacuated at the same time.
"""),
    cfg.IntOpt('instance_timeout',
        default=300,
        min=1,
        help="""
Seconds to wait for one evacuated instance to reach its final state.
"""),
    cfg.FloatOpt('poll_interval',
        default=2.0,
        min=0.01,
        help="""
Seconds between two polls of an evacuating instance or of the service list.
"""),
    cfg.StrOpt('coordination_url',
        default='file:///var/lib/zha-scheduler/locks',
        help="""
tooz coordination backend URL shared by the controllers that run zha-evacuate.

It holds the per-host evacuation lock and elects the one watcher that acts.

Possible values:

* ``file:///path``: one controller (the default). Several watchers on it
  elect one leader; a lock is released when its process dies.
* ``redis://:PASSWORD@HOST:6379``: several controllers (the tested backend,
  see doc/install.md); with Sentinel,
  ``redis://SENTINEL:26379?sentinel=NAME&sentinel_fallback=HOST2:26379``.
* ``zookeeper://HOST:2181``: a tooz driver that should also work, untested.

A dead controller's locks and leadership expire 10 seconds after its last
heartbeat (tooz renews them every 5 seconds); the URL's tooz options
``lock_timeout`` and ``membership_timeout`` change that. While the backend
cannot be reached no watcher leads, and a run stops before changing
anything (exit status 1).

A URL whose driver tooz does not know, or a ``file://`` directory that cannot
be used, is a configuration error at start (exit status 2).
"""),
    cfg.StrOpt('state_dir',
        default='/var/lib/zha-scheduler/evacuate',
        help="""
Directory of the per-host progress files that let a re-run after a crash
finish only what is missing.

Each host's file is named after the host, encoded so that no name leaves the
directory. A file that cannot be decoded is moved aside
(``<file>.corrupt-<time>``) and the run starts from what Nova reports.

Possible values:

* A directory this user can write to, or create: anything else is a
  configuration error at start (exit status 2).
"""),
    cfg.FloatOpt('max_down_fraction',
        default=0.5,
        min=0.0,
        max=1.0,
        help="""
Largest fraction of nova-compute services that may be down for the hook to act.

Above it the hook refuses to evacuate a host seen down through Nova's
heartbeat alone: so many hosts down at once is more likely a network
partition or a control plane problem than host failures. Exactly this
fraction down still evacuates. Hosts the hook has already taken over
(disabled with a ``zha-evacuate:`` reason) and hosts the HMC reports failed
count neither as down nor in the total, and a failure the HMC confirms is
never held.

Related options:

* ``hmc_poll_interval``: how often watch mode reads the HMC, with
  ``fencing = hmc``.
"""),
    cfg.IntOpt('grace_period',
        default=60,
        min=0,
        help="""
Seconds a compute service must stay down before watch mode evacuates its host.

Related options:

* ``hmc_poll_interval``: with ``fencing = hmc`` a host whose LPAR the HMC
  reports failed is evacuated without waiting for this period.
"""),
    cfg.StrOpt('fencing',
        default='none',
        choices=[('none', 'Evacuate only hosts whose service Nova reports '
                          'down; never fence.'),
                 ('hmc', 'Fence the LPAR through the HMC Web Services API '
                         'before evacuating (deactivate in classic mode, '
                         'stop the partition in DPM mode).')],
        help="""
How a failed host is fenced before its instances are restarted elsewhere.
"""),
    cfg.StrOpt('hmc_host',
        help='HMC host name or address, with ``fencing = hmc``.'),
    cfg.PortOpt('hmc_port',
        default=6794,
        help='HMC Web Services API port.'),
    cfg.StrOpt('hmc_userid',
        help='HMC user with the rights to deactivate or stop the LPARs.'),
    cfg.StrOpt('hmc_password',
        secret=True,
        help='Password of ``hmc_userid``. Only in the config file.'),
    cfg.StrOpt('hmc_ca_file',
        help="""
CA bundle to verify the HMC's certificate. Unset: the system's CAs.
"""),
    cfg.BoolOpt('hmc_insecure',
        default=False,
        help="""
Skip the verification of the HMC's TLS certificate (not recommended).
"""),
    cfg.StrOpt('lpars_file',
        help="""
YAML file mapping each compute host to its CPC and LPAR (or DPM partition)
names on the HMC, e.g. ``lpar1.example.com: {cpc: Z1, lpar: KVMH01}``.
"""),
    cfg.FloatOpt('hmc_poll_interval',
        default=2.0,
        min=0.1,
        help="""
Seconds between two reads of the LPAR and CPC statuses on the HMC in watch
mode.

With ``fencing = hmc`` watch mode reads, over one HMC session, the status of
every LPAR (classic mode) or partition (DPM) of ``lpars_file`` and of their
CPCs: one request for the CPCs and one per CPC holding such an LPAR, however
many LPARs. A host whose LPAR or CPC the HMC reports failed (not operating,
not activated, stopped, terminated, powered off) in two consecutive reads is
fenced and evacuated at once, even while Nova still shows its service up,
and the mass-failure brake does not hold it. A failure is thus acted on one
to two intervals after it happens. An HMC that cannot be read leaves
detection to Nova's heartbeat and ``grace_period``.

Possible values:

* A number of seconds, at least 0.1. Each read makes one request to the
  HMC, plus one per CPC holding a compute host's LPAR.

Related options:

* ``fencing``: the HMC is read only with ``fencing = hmc``, which also
  needs ``hmc_host``, ``hmc_userid``, ``hmc_password`` and ``lpars_file``.
* ``grace_period``: applies to failures seen through Nova's heartbeat only
  (a hung hypervisor whose LPAR keeps operating, or no HMC answer).
"""),
]

NOVA_GROUP = 'nova'


def register_opts(conf: cfg.ConfigOpts) -> None:
    group = _group()
    conf.register_group(group)
    conf.register_opts(evacuate_opts, group=group)


def register_nova_opts(conf: cfg.ConfigOpts) -> None:
    """Register keystoneauth options in [nova] (the hook's process only)."""
    ksa.register_ksa_opts(conf, NOVA_GROUP, 'compute')


def list_opts() -> list[tuple[cfg.OptGroup, list[cfg.Opt]]]:
    return [(zha_evacuate_group, evacuate_opts)]


def list_hook_opts() -> list[tuple[Any, list[cfg.Opt]]]:
    """Everything zha-evacuate reads, for its own sample config."""
    return [(zha_evacuate_group, evacuate_opts),
            (NOVA_GROUP, ksa.list_ksa_opts())]
