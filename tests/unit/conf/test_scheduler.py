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

"""Unit tests for zha_scheduler.conf: the [zha_scheduler] options
(conf/scheduler.py) as list_opts() and the global CONF give them."""

import importlib.metadata

from oslo_config import cfg
from oslotest import base

from zha_scheduler import conf


def _scheduler_opts():
    """The options list_opts() gives for the [zha_scheduler] group."""
    (options,) = [opts for group, opts in conf.list_opts()
                  if group.name == 'zha_scheduler']
    return {opt.name: opt for opt in options}


class ConfTest(base.BaseTestCase):

    def test_list_opts_returns_the_zha_scheduler_group(self):
        groups = [group for group, _ in conf.list_opts()]
        self.assertTrue(all(isinstance(g, cfg.OptGroup) for g in groups))
        self.assertIn('zha_scheduler', [g.name for g in groups])
        self.assertEqual(
            {'trait_cache_ttl': 30, 'spread_domain': 'cpc', 'max_skew': 1,
             'failure_domain_weight_multiplier': 1.0,
             'require_redundancy': 'flavor', 'unmonitored_hosts': 'pass',
             'redundancy_weight_multiplier': 1.0},
            {name: opt.default for name, opt in _scheduler_opts().items()})

    def test_option_types_and_bounds(self):
        options = _scheduler_opts()
        self.assertIsInstance(options['trait_cache_ttl'], cfg.IntOpt)
        self.assertEqual(0, options['trait_cache_ttl'].type.min)
        self.assertIsInstance(options['max_skew'], cfg.IntOpt)
        self.assertEqual(1, options['max_skew'].type.min)
        self.assertIsInstance(options['failure_domain_weight_multiplier'],
                              cfg.FloatOpt)
        self.assertEqual(('lpar', 'cpc', 'site'),
                         tuple(options['spread_domain'].type.choices))

    def test_options_have_help(self):
        for name, opt in _scheduler_opts().items():
            self.assertGreater(len(opt.help.strip()), 40, name)

    def test_options_registered_on_global_conf(self):
        self.assertEqual(30, conf.CONF.zha_scheduler.trait_cache_ttl)
        self.assertEqual('cpc', conf.CONF.zha_scheduler.spread_domain)
        self.assertEqual(1, conf.CONF.zha_scheduler.max_skew)
        self.assertEqual(
            1.0, conf.CONF.zha_scheduler.failure_domain_weight_multiplier)

    def test_config_rejects_out_of_range_values(self):
        local = cfg.ConfigOpts()
        local.register_opts(list(_scheduler_opts().values()),
                            group='zha_scheduler')
        self.assertRaises(ValueError, local.set_override, 'max_skew', 0,
                          group='zha_scheduler')
        self.assertRaises(ValueError, local.set_override, 'trait_cache_ttl',
                          -1, group='zha_scheduler')
        self.assertRaises(ValueError, local.set_override, 'spread_domain',
                          'rack', group='zha_scheduler')

    def test_oslo_config_entry_point(self):
        (entry_point,) = [
            ep for ep in importlib.metadata.entry_points(
                group='oslo.config.opts') if ep.name == 'zha_scheduler']
        self.assertIs(conf.list_opts, entry_point.load())
