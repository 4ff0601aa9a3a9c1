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

"""Unit tests for zha_scheduler.plugins, all_filters and all_weighers."""

import importlib.metadata
from unittest import mock

from nova.scheduler import filters as nova_filters
from nova.scheduler import weights as nova_weights
from oslotest import base
from stevedore import extension

from zha_scheduler import filters
from zha_scheduler.filters import failure_domain as filter_module
from zha_scheduler import plugins
from zha_scheduler import weights
from zha_scheduler.weights import failure_domain as weigher_module

LOGGER = 'zha_scheduler.plugins'
NAMESPACE = 'zha_scheduler.test'


def _entry_point(name, value):
    return importlib.metadata.EntryPoint(name, value, NAMESPACE)


def _registered(namespace):
    """The classes installed under ``namespace``, sorted by name."""
    entry_points = importlib.metadata.entry_points(group=namespace)
    return [ep.load() for ep in sorted(entry_points, key=lambda e: e.name)]


class PluginsTest(base.BaseTestCase):

    def _patch_entry_points(self, *entry_points):
        patcher = mock.patch.object(
            extension.ExtensionManager, 'list_entry_points', autospec=True,
            return_value=list(entry_points))
        patcher.start()
        self.addCleanup(patcher.stop)

    def test_all_filters(self):
        found = filters.all_filters()
        self.assertEqual(_registered(filters.NAMESPACE), found)
        self.assertIn(filter_module.ZhaFailureDomainFilter, found)

    def test_all_weighers(self):
        found = weights.all_weighers()
        self.assertEqual(_registered(weights.NAMESPACE), found)
        self.assertIn(weigher_module.ZhaFailureDomainWeigher, found)

    def test_novas_filter_loader_accepts_all_filters(self):
        classes = nova_filters.HostFilterHandler().get_matching_classes(
            ['zha_scheduler.filters.all_filters'])
        self.assertEqual(_registered(filters.NAMESPACE), classes)
        self.assertIn(filter_module.ZhaFailureDomainFilter, classes)

    def test_novas_weigher_loader_accepts_all_weighers(self):
        classes = nova_weights.HostWeightHandler().get_matching_classes(
            ['zha_scheduler.weights.all_weighers'])
        self.assertEqual(_registered(weights.NAMESPACE), classes)
        self.assertIn(weigher_module.ZhaFailureDomainWeigher, classes)

    def test_load_classes_sorted_by_name(self):
        self._patch_entry_points(
            _entry_point('Weigher', 'zha_scheduler.weights.failure_domain:'
                                    'ZhaFailureDomainWeigher'),
            _entry_point('Filter', 'zha_scheduler.filters.failure_domain:'
                                   'ZhaFailureDomainFilter'))
        self.assertEqual([filter_module.ZhaFailureDomainFilter,
                          weigher_module.ZhaFailureDomainWeigher],
                         plugins.load_classes(NAMESPACE))

    def test_broken_entry_point_is_logged_and_skipped(self):
        self._patch_entry_points(
            _entry_point('ZhaBrokenFilter',
                         'zha_scheduler.no_such_module:Nope'),
            _entry_point('ZhaFailureDomainFilter',
                         'zha_scheduler.filters.failure_domain:'
                         'ZhaFailureDomainFilter'))
        with self.assertLogs(LOGGER, 'ERROR') as logs:
            classes = plugins.load_classes(NAMESPACE)
        self.assertEqual([filter_module.ZhaFailureDomainFilter], classes)
        self.assertEqual(1, len(logs.records))
        message = logs.records[0].getMessage()
        self.assertEqual('ERROR', logs.records[0].levelname)
        self.assertIn('ZhaBrokenFilter', message)
        self.assertIn('zha_scheduler.no_such_module:Nope', message)
        self.assertIn(NAMESPACE, message)
        self.assertIn('no_such_module', message)

    def test_missing_attribute_is_logged_and_skipped(self):
        self._patch_entry_points(
            _entry_point('Missing', 'zha_scheduler.plugins:NoSuchClass'))
        with self.assertLogs(LOGGER, 'ERROR') as logs:
            self.assertEqual([], plugins.load_classes(NAMESPACE))
        self.assertIn('Missing', logs.records[0].getMessage())

    def test_empty_namespace(self):
        self.assertEqual(
            [], plugins.load_classes('zha_scheduler.nothing_here'))
