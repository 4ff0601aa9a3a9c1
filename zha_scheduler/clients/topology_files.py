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

"""The operator's YAML files that map compute hosts to partners and LPARs.

``partners_file`` maps each primary host to its standby partner;
``lpars_file`` maps each compute host to its CPC and LPAR (or DPM
partition) on the HMC. Both are read by the evacuation hook, the capacity
check and ``zha-scheduler check``, through these loaders only.
"""

from typing import Any

import yaml

GROUP = 'zha_evacuate'


class TopologyFileError(ValueError):
    """A partners or LPAR file is missing, unreadable or malformed."""


def _read_mapping(path: str, option: str, shape: str) -> dict[Any, Any]:
    where = '[%s] %s %s' % (GROUP, option, path)
    try:
        with open(path, encoding='utf-8') as f:
            data = yaml.safe_load(f)
    except OSError as exc:
        raise TopologyFileError('cannot read %s: %s'
                                % (where, exc.strerror or exc)) from None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise TopologyFileError('%s is not valid YAML: %s'
                                % (where, ' '.join(str(exc).split()))
                                ) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise TopologyFileError('%s must map %s, found %s'
                                % (where, shape, type(data).__name__))
    return data


def load_partners(path: str | None) -> dict[str, str]:
    """Read the primary -> standby map; an unset path maps nothing.

    :raises TopologyFileError: the file cannot be read or is not a map of
        host names.
    """
    if not path:
        return {}
    shape = 'each primary host to its standby host ("primary: standby")'
    data = _read_mapping(path, 'partners_file', shape)
    for primary, standby in data.items():
        if not (isinstance(primary, str) and isinstance(standby, str)):
            raise TopologyFileError(
                '[%s] partners_file %s: entry %r must map %s'
                % (GROUP, path, primary, shape))
    return data


def load_lpars(path: str) -> dict[str, dict[str, str]]:
    """Read the map of compute hosts to their CPC and LPAR names.

    :returns: ``{host: {'cpc': NAME, 'lpar': NAME}}``.
    :raises TopologyFileError: the file cannot be read or is malformed.
    """
    shape = 'each compute host to {cpc: NAME, lpar: NAME}'
    result: dict[str, dict[str, str]] = {}
    for host, entry in _read_mapping(path, 'lpars_file', shape).items():
        if (not isinstance(entry, dict) or
                not all(isinstance(entry.get(k), str) and entry.get(k)
                        for k in ('cpc', 'lpar'))):
            raise TopologyFileError(
                '[%s] lpars_file %s: entry %r must be {cpc: NAME, lpar: '
                'NAME}, found %r' % (GROUP, path, host, entry))
        result[str(host)] = {'cpc': entry['cpc'], 'lpar': entry['lpar']}
    return result
