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

"""Unit tests for zha_scheduler.filters.consistency_group."""

from unittest import mock

from nova import objects

from tests.unit import zha_fakes
from zha_scheduler.filters import consistency_group
from zha_scheduler import traits

LOGGER = 'zha_scheduler.filters'
LONG_NAME = 'payroll-' + 'x' * 300
EVERY_HOST = ['both', 'ora', 'sap', 'long', 'bare']


def spec_for(extra_specs=None, hints=None):
    """A RequestSpec whose flavor carries ``extra_specs``."""
    return objects.RequestSpec(
        instance_uuid=zha_fakes.instance_uuid('new'),
        flavor=objects.Flavor(extra_specs=dict(extra_specs or {})),
        scheduler_hints={k: v if isinstance(v, list) else [v]
                         for k, v in (hints or {}).items()},
        num_instances=1)


class ZhaConsistencyGroupFilterTest(zha_fakes.HealthFilterCase):
    """Hosts reaching ORA_PROD and SAP (both), one of them (ora, sap), a
    group with a name too long for a trait (long), nothing (bare).
    """

    def setUp(self):
        super().setUp()
        self.filt = consistency_group.ZhaConsistencyGroupFilter()
        self.cloud = zha_fakes.Cloud()
        ora = traits.consistency_group_trait('ORA_PROD')
        sap = traits.consistency_group_trait('SAP')
        for host, groups in (('both', [ora, sap]), ('ora', [ora]),
                             ('sap', [sap]),
                             ('long', [traits.consistency_group_trait(
                                 LONG_NAME)]),
                             ('bare', [])):
            self.cloud.add(host, cpc='Z1' if groups else None,
                           extra_traits=groups + [traits.STORAGE_REDUNDANT],
                           node=host + '.node')
        self.client = self.cloud.client()
        self.zha = self.useFixture(zha_fakes.ZhaFixture(self.client))

    def test_no_group_passes_every_host_without_reading(self):
        self.assertEqual(EVERY_HOST, self._passing(spec_for()))
        self.assertEqual(EVERY_HOST, self._passing(
            spec_for({'zha:redundancy': 'required'})))
        self.assertEqual([], self.client.calls)

    def test_flavor_group(self):
        spec = spec_for({'zha:consistency_group': 'ORA_PROD'})
        self.assertEqual(['both', 'ora'], self._passing(spec))

    def test_hint_group(self):
        spec = spec_for(hints={'zha_consistency_group': 'SAP'})
        self.assertEqual(['both', 'sap'], self._passing(spec))

    def test_flavor_and_hint_must_both_be_reachable(self):
        spec = spec_for({'zha:consistency_group': 'ORA_PROD'},
                        hints={'zha_consistency_group': 'SAP'})
        self.assertEqual(['both'], self._passing(spec))

    def test_hint_list_names_several_groups(self):
        spec = spec_for(hints={'zha_consistency_group': ['SAP', 'ORA_PROD']})
        self.assertEqual(['both'], self._passing(spec))

    def test_names_are_mapped_as_the_agent_does(self):
        spec = spec_for({'zha:consistency_group': ' ora_prod '})
        self.assertEqual(['both', 'ora'], self._passing(spec))

    def test_a_name_that_only_looks_alike_is_another_group(self):
        # ORA-PROD is not ORA_PROD: its hosts are not the ones asked for.
        spec = spec_for({'zha:consistency_group': 'ORA-PROD'})
        self.assertEqual([], self._passing(spec))

    def test_long_name_matches_the_agents_shortened_trait(self):
        spec = spec_for({'zha:consistency_group': LONG_NAME})
        self.assertEqual(['long'], self._passing(spec))

    def test_unmonitored_host_never_assumed_to_reach_a_group(self):
        spec = spec_for({'zha:consistency_group': 'SAP'})
        self.assertEqual([], self._passing(spec, [self.cloud['bare']]))

    def test_unknown_group_passes_no_host(self):
        spec = spec_for({'zha:consistency_group': 'DR_ONLY'})
        self.assertEqual([], self._passing(spec))

    def test_invalid_names_are_ignored_with_warning(self):
        for value in ('', '   '):
            spec = spec_for(hints={'zha_consistency_group': value})
            with self.assertLogs('zha_scheduler.request_spec',
                                 'WARNING') as logs:
                self.assertEqual(EVERY_HOST, self._passing(spec))
            self.assertIn('Ignoring zha_consistency_group=%r' % (value,),
                          logs.output[0])

    def test_invalid_hint_keeps_the_flavor_group(self):
        spec = spec_for({'zha:consistency_group': 'SAP'},
                        hints={'zha_consistency_group': ''})
        self.assertEqual(['both', 'sap'], self._passing(spec))

    def test_rebuild_passes_every_host(self):
        spec = spec_for({'zha:consistency_group': 'SAP'},
                        hints={'_nova_check_type': 'rebuild'})
        self.assertEqual(EVERY_HOST, self._passing(spec))

    def test_host_passes(self):
        spec = spec_for({'zha:consistency_group': 'SAP'})
        self.assertTrue(self.filt.host_passes(self.cloud['sap'], spec))
        self.assertFalse(self.filt.host_passes(self.cloud['ora'], spec))

    def test_rejection_logged_at_debug(self):
        spec = spec_for({'zha:consistency_group': 'ORA_PROD'},
                        hints={'zha_consistency_group': 'SAP'})
        with self.assertLogs(LOGGER, 'DEBUG') as logs:
            self._passing(spec, [self.cloud['ora'], self.cloud['both']])
        self.assertEqual(['DEBUG'], [r.levelname for r in logs.records])
        message = logs.records[0].getMessage()
        self.assertTrue(message.startswith('(ora, ora.node) '))
        self.assertIn(' fails consistency group check: the volumes of SAP '
                      'are not all reachable over redundant paths here.',
                      message)

    def test_no_host_left_is_explained_at_info(self):
        spec = spec_for({'zha:consistency_group': 'DR_ONLY'})
        with self.assertLogs(LOGGER, 'INFO') as logs:
            self._passing(spec)
        self.assertEqual(1, len(logs.records))
        self.assertIn('ZhaConsistencyGroupFilter rejected all 5 hosts for '
                      'instance %s: none has CUSTOM_ZHA_CG_DR_ONLY'
                      % zha_fakes.instance_uuid('new'),
                      logs.records[0].getMessage())

    def test_failing_view_passes_every_host_and_logs_exception(self):
        view = mock.Mock()
        view.get.side_effect = RuntimeError('view exploded')
        self.zha.get_view.return_value = view
        spec = spec_for({'zha:consistency_group': 'SAP'})
        with self.assertLogs(LOGGER, 'ERROR') as logs:
            self.assertEqual(EVERY_HOST, self._passing(spec))
        self.assertIn('ZhaConsistencyGroupFilter could not evaluate the '
                      'request; passing all 5 hosts.',
                      logs.records[0].getMessage())
        self.assertIsNotNone(logs.records[0].exc_info)
