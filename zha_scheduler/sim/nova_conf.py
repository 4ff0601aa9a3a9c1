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

"""Apply a nova.conf file to the running process' CONF, as overrides."""

from collections.abc import Callable
import importlib.metadata
import os
import sys
from typing import Any

from oslo_config import cfg

SNIPPET = os.path.join('etc', 'nova', 'nova.conf.d', 'zha-scheduler.conf')
# Where setup.cfg's data_files put the snippet, relative to the install
# scheme's data directory (sys.prefix in a virtualenv).
INSTALLED = os.path.join('etc', 'zha-scheduler', 'nova.conf.d',
                         'zha-scheduler.conf')


def _installed_candidates() -> list[str]:
    """The snippet's paths in the installed distribution's file list."""
    try:
        dist = importlib.metadata.distribution('zha-scheduler')
    except importlib.metadata.PackageNotFoundError:
        return []
    # The RECORD names data files relative to site-packages, whatever the
    # scheme (venv, --user, --prefix), so this finds them where pip put them.
    suffix = INSTALLED.replace(os.sep, '/')
    return [str(dist.locate_file(f)) for f in dist.files or ()
            if str(f).replace(os.sep, '/').endswith(suffix)]


def snippet_path() -> str:
    """Return the path of the shipped ``zha-scheduler.conf`` nova.conf snippet.

    The source tree's copy first (a checkout or an editable install), then the
    data file an installed package put in place.

    :raises FileNotFoundError: when neither the source tree nor the installed
        data files hold it.
    """
    here = os.path.dirname(os.path.abspath(__file__))
    candidates = [os.path.join(here, '..', '..', SNIPPET),
                  *_installed_candidates(),
                  os.path.join(sys.prefix, INSTALLED)]
    for path in candidates:
        if os.path.exists(path):
            return os.path.normpath(path)
    raise FileNotFoundError('zha-scheduler.conf not found in %s'
                            % ', '.join(candidates))


def read_sections(path: str) -> dict[str, dict[str, list[str]]]:
    """Parse an ini file as oslo.config does: {section: {key: [values]}}."""
    sections: dict[str, dict[str, list[str]]] = {}
    cfg.ConfigParser(path, sections).parse()
    return sections


def apply_file(path: str, flags: Callable[..., Any],
               conf: cfg.ConfigOpts = cfg.CONF) -> None:
    """Set every option of an ini file through ``flags(group=..., **kw)``.

    ``flags`` is a test case's ``self.flags``: the overrides are undone when
    the test ends. Multi-valued options get every value of the file.
    """
    for section, options in read_sections(path).items():
        group = None if section == 'DEFAULT' else section
        for name, values in options.items():
            opt = conf._get_opt_info(name, group)['opt']
            value = values if getattr(opt, 'multi', False) else values[-1]
            flags(group=group, **{name: value})
