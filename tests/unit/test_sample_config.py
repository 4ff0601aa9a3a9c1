"""The committed sample configs match the options in the code."""

import io
import os

from oslo_config import cfg
from oslo_config import generator
from oslotest import base

ROOT = os.path.join(os.path.dirname(__file__), '..', '..')


class SampleConfigTest(base.BaseTestCase):

    def _check(self, name):
        generator_config = os.path.join(ROOT, 'etc', 'oslo-config-generator',
                                        name + '.conf')
        conf = cfg.ConfigOpts()
        generator.register_cli_opts(conf)
        conf(['--config-file', generator_config])
        output = io.StringIO()
        generator.generate(conf, output_file=output)
        with open(os.path.join(ROOT, 'etc', name + '.conf.sample')) as sample:
            self.assertEqual(
                sample.read(), output.getvalue(),
                'etc/%s.conf.sample is stale: run oslo-config-generator '
                '--config-file %s' % (name, generator_config))

    def test_scheduler_sample_is_current(self):
        self._check('zha-scheduler')

    def test_agent_sample_is_current(self):
        self._check('zha-trait-agent')
