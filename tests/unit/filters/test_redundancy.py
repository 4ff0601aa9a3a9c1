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

"""Unit tests for zha_scheduler.filters.redundancy."""

import logging
from unittest import mock

import fixtures
from nova import objects
from nova.scheduler import filters as nova_filters

from tests.unit import zha_fakes
from zha_scheduler.filters import redundancy
from zha_scheduler import traits

LOGGER = 'zha_scheduler.filters'
NET_R, NET_D = traits.NET_REDUNDANT, traits.NET_DEGRADED
STO_R, STO_D = traits.STORAGE_REDUNDANT, traits.STORAGE_DEGRADED
EVERY_HOST = ['ok', 'net', 'sto', 'both', 'nosan', 'bare']


def spec_for(extra_specs=None, hints=None, instance='new'):
    """A RequestSpec whose flavor carries ``extra_specs``."""
    return objects.RequestSpec(
        instance_uuid=zha_fakes.instance_uuid(instance),
        flavor=objects.Flavor(extra_specs=dict(extra_specs or {})),
        scheduler_hints={k: [v] for k, v in (hints or {}).items()},
        num_instances=1)


class ZhaRedundancyFilterTest(zha_fakes.HealthFilterCase):
    """Hosts: ok (both redundant), net / sto (one degraded), both (both
    degraded), nosan (network redundant, storage unmonitored), bare (no
    ZHA trait at all).
    """

    def setUp(self):
        super().setUp()
        self.filt = redundancy.ZhaRedundancyFilter()
        self.cloud = zha_fakes.Cloud()
        for host, found in (('ok', [NET_R, STO_R]), ('net', [NET_D, STO_R]),
                            ('sto', [NET_R, STO_D]), ('both', [NET_D, STO_D]),
                            ('nosan', [NET_R]), ('bare', [])):
            self.cloud.add(host, cpc='Z1' if found else None,
                           extra_traits=found, node=host + '.node')
        self.client = self.cloud.client()
        self.zha = self.useFixture(zha_fakes.ZhaFixture(self.client))

    def test_ordinary_request_passes_every_host_without_reading(self):
        for extra in ({}, {'hw:cpu_policy': 'dedicated'},
                      {'zha:redundancy': 'preferred'}):
            self.assertEqual(EVERY_HOST, self._passing(spec_for(extra)))
        self.assertEqual([], self.client.calls)

    def test_required_passes_redundant_and_unmonitored_hosts(self):
        spec = spec_for({'zha:redundancy': 'required'})
        self.assertEqual(['ok', 'nosan', 'bare'], self._passing(spec))

    def test_required_value_is_read_case_insensitively(self):
        spec = spec_for({'zha:redundancy': ' Required'})
        self.assertEqual(['ok', 'nosan', 'bare'], self._passing(spec))

    def test_unmonitored_hosts_reject(self):
        self.flags(unmonitored_hosts='reject', group='zha_scheduler')
        spec = spec_for({'zha:redundancy': 'required'})
        self.assertEqual(['ok'], self._passing(spec))

    def test_require_redundancy_always_filters_every_request(self):
        self.flags(require_redundancy='always', group='zha_scheduler')
        self.assertEqual(['ok', 'nosan', 'bare'], self._passing(spec_for()))
        spec = spec_for({'zha:redundancy': 'preferred'})
        self.assertEqual(['ok', 'nosan', 'bare'], self._passing(spec))

    def test_require_redundancy_never_ignores_required_flavors(self):
        self.flags(require_redundancy='never', group='zha_scheduler')
        spec = spec_for({'zha:redundancy': 'required'})
        self.assertEqual(EVERY_HOST, self._passing(spec))
        self.assertEqual([], self.client.calls)

    def test_invalid_value_passes_every_host_with_warning(self):
        spec = spec_for({'zha:redundancy': 'mandatory'})
        with self.assertLogs('zha_scheduler.request_spec', 'WARNING') as logs:
            self.assertEqual(EVERY_HOST, self._passing(spec))
        self.assertIn("zha:redundancy='mandatory'", logs.output[0])
        self.assertIn('required, preferred', logs.output[0])

    def test_host_with_both_network_traits_counts_as_degraded(self):
        self.cloud.add('odd', extra_traits=[NET_R, NET_D, STO_R])
        self.client.providers = self.cloud.providers
        spec = spec_for({'zha:redundancy': 'required'})
        self.assertNotIn('odd', self._passing(spec))

    def test_rebuild_passes_every_host_without_reading(self):
        spec = spec_for({'zha:redundancy': 'required'},
                        hints={'_nova_check_type': 'rebuild'})
        self.assertEqual(EVERY_HOST, self._passing(spec))
        self.assertEqual([], self.client.calls)

    def test_moves_and_evacuations_are_filtered(self):
        spec = spec_for({'zha:redundancy': 'required'},
                        hints={'_nova_check_type': 'evacuate'})
        spec.requested_destination = objects.Destination(host='net')
        self.assertEqual([], self._passing(spec, [self.cloud['net']]))

    def test_host_passes(self):
        spec = spec_for({'zha:redundancy': 'required'})
        self.assertTrue(self.filt.host_passes(self.cloud['ok'], spec))
        self.assertFalse(self.filt.host_passes(self.cloud['sto'], spec))

    def test_runs_once_per_request_in_novas_handler(self):
        handler = nova_filters.HostFilterHandler()
        spec = spec_for({'zha:redundancy': 'required'})
        passing = handler.get_filtered_objects(
            [self.filt], self.cloud.hosts, spec, index=0)
        self.assertEqual(['ok', 'nosan', 'bare'], [h.host for h in passing])
        # Later instances of a multi-create get the hosts that passed.
        self.assertEqual(6, len(handler.get_filtered_objects(
            [self.filt], self.cloud.hosts, spec, index=1)))

    def test_view_read_once_per_request(self):
        self.flags(trait_cache_ttl=0, group='zha_scheduler')
        spec = spec_for({'zha:redundancy': 'required'})
        self._passing(spec)
        calls = len(self.client.calls)
        self._passing(spec)
        self.assertEqual(calls, len(self.client.calls))

    def test_rejection_logged_at_debug(self):
        spec = spec_for({'zha:redundancy': 'required'})
        with self.assertLogs(LOGGER, 'DEBUG') as logs:
            self._passing(spec)
        rejected = [r.getMessage() for r in logs.records
                    if 'fails redundancy check' in r.getMessage()]
        self.assertEqual(3, len(rejected))
        self.assertTrue(rejected[0].startswith('(net, net.node) '))
        self.assertIn(' fails redundancy check: network degraded; the '
                      'request requires redundant network and storage '
                      '(flavor extra spec zha:redundancy=required).',
                      rejected[0])
        self.assertIn('network degraded, storage degraded', rejected[2])
        self.assertEqual([], [r for r in logs.records if r.levelno > 10])

    def test_hosts_of_one_profile_are_judged_once(self):
        for n in range(4):      # twins of 'ok' and of 'net'
            self.cloud.add('ok%d' % n, cpc='Z1', extra_traits=[NET_R, STO_R])
            self.cloud.add('net%d' % n, cpc='Z1',
                           extra_traits=[NET_D, STO_R])
        self.zha.client = self.cloud.client()
        spec = spec_for({'zha:redundancy': 'required'})
        judge = redundancy.ZhaRedundancyFilter._passes
        judged = []

        def counted(*args):
            judged.append(args[0].host)
            return judge(self.filt, *args)

        self.useFixture(fixtures.MockPatchObject(self.filt, '_passes',
                                                 counted))
        log = logging.getLogger('zha_scheduler.filters.redundancy')
        self.addCleanup(log.setLevel, log.level)
        log.setLevel(logging.INFO)
        passing = self._passing(spec)
        self.assertEqual(['ok', 'nosan', 'bare'] + [
            'ok%d' % n for n in range(4)], passing)
        # One per distinct profile (UNKNOWN's included) and view.
        self.assertEqual(6, len(judged))
        self.assertEqual(passing, self._passing(spec))
        self.assertEqual(6, len(judged))
        # At DEBUG every rejected host is logged, so each is judged.
        del judged[:]
        log.setLevel(logging.NOTSET)
        with self.assertLogs(LOGGER, 'DEBUG') as logs:
            self.assertEqual(passing, self._passing(spec))
        self.assertEqual(14, len(judged))
        self.assertEqual(7, len([r for r in logs.records
                                 if 'fails redundancy' in r.getMessage()]))

    def test_unmonitored_rejection_names_the_option(self):
        self.flags(unmonitored_hosts='reject', group='zha_scheduler')
        spec = spec_for({'zha:redundancy': 'required'})
        with self.assertLogs(LOGGER, 'DEBUG') as logs:
            self._passing(spec, [self.cloud['nosan']])
        self.assertIn('storage not monitored (unmonitored_hosts = reject)',
                      logs.output[0])

    def test_no_host_left_is_explained_at_info(self):
        self.flags(require_redundancy='always', group='zha_scheduler')
        hosts = [self.cloud[h] for h in ('net', 'sto', 'both')]
        with self.assertLogs(LOGGER, 'INFO') as logs:
            self.assertEqual([], self._passing(spec_for(), hosts))
        self.assertEqual(1, len(logs.records))
        message = logs.records[0].getMessage()
        self.assertIn('ZhaRedundancyFilter rejected all 3 hosts for instance '
                      '%s' % zha_fakes.instance_uuid('new'), message)
        self.assertIn('[zha_scheduler] require_redundancy = always', message)
        self.assertIn('network degraded: 1; network degraded, storage '
                      'degraded: 1; storage degraded: 1', message)

    def test_empty_view_leaves_hosts_unmonitored(self):
        self.client.errors = {'/traits': 500}
        spec = spec_for({'zha:redundancy': 'required'})
        self.assertEqual(EVERY_HOST, self._passing(spec))
        self.flags(unmonitored_hosts='reject', group='zha_scheduler')
        self.assertEqual([], self._passing(spec))

    def test_failing_view_passes_every_host_and_logs_exception(self):
        view = mock.Mock()
        view.get.side_effect = RuntimeError('view exploded')
        self.zha.get_view.return_value = view
        spec = spec_for({'zha:redundancy': 'required'})
        with self.assertLogs(LOGGER, 'ERROR') as logs:
            self.assertEqual(EVERY_HOST, self._passing(spec))
        self.assertEqual(1, len(logs.records))
        self.assertIn('ZhaRedundancyFilter could not evaluate the request; '
                      'passing all 6 hosts.', logs.records[0].getMessage())
        self.assertIn('view exploded', str(logs.records[0].exc_info[1]))

    def test_broken_request_passes_every_host(self):
        spec = mock.Mock()
        spec.__contains__ = mock.Mock(side_effect=TypeError('odd spec'))
        with self.assertLogs(LOGGER, 'ERROR'):
            self.assertEqual(EVERY_HOST, self._passing(spec))
