"""The committed sample config matches the options in the code."""

import io
import os

from oslo_config import cfg
from oslo_config import generator
from oslotest import base

ROOT = os.path.join(os.path.dirname(__file__), '..', '..')
GENERATOR_CONFIG = os.path.join(ROOT, 'etc', 'oslo-config-generator',
                                'zha-scheduler.conf')
SAMPLE = os.path.join(ROOT, 'etc', 'zha-scheduler.conf.sample')


class SampleConfigTest(base.BaseTestCase):

    def test_committed_sample_is_current(self):
        conf = cfg.ConfigOpts()
        generator.register_cli_opts(conf)
        conf(['--config-file', GENERATOR_CONFIG])
        output = io.StringIO()
        generator.generate(conf, output_file=output)
        with open(SAMPLE) as committed:
            self.assertEqual(
                committed.read(), output.getvalue(),
                'etc/zha-scheduler.conf.sample is stale: run '
                'oslo-config-generator --config-file %s' % GENERATOR_CONFIG)
