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

"""Storage consistency groups whose volumes are all here, redundantly.

The groups file is read through the host's HostFS like every other file:
under ``--root`` when the agent inspects another tree, so a fixture tree can
carry its own ``/etc/zha-scheduler/consistency-groups.yaml``.
"""

from collections.abc import Set
import dataclasses
import os
from typing import Any

from oslo_log import log as logging
import yaml

from zha_scheduler.agent import conditions
from zha_scheduler.agent import hostfs
from zha_scheduler import traits

LOG = logging.getLogger(__name__)


class GroupsFileError(Exception):
    """The consistency groups file cannot be read or is malformed."""


@dataclasses.dataclass(frozen=True)
class GroupsResult:
    """The consistency groups to publish, and why."""

    groups: frozenset[str]
    details: dict[str, Any]


def _wwid(value: Any, group: str, path: str) -> str:
    # An all-digit WWID is read by YAML as an integer; its decimal text is
    # the WWID itself (WWIDs start with the NAA type, never with 0).
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise GroupsFileError('%s: group %r: WWIDs must be strings, got %r'
                              % (path, group, value))
    wwid = str(value).strip().lower()
    if not wwid:
        raise GroupsFileError('%s: group %r has an empty WWID' % (path, group))
    return wwid


def parse_groups(text: str, path: str = '<string>') -> dict[str, list[str]]:
    """Parse the groups file: a mapping of group name to a list of WWIDs.

    :param text: the YAML text.
    :param path: the file's name, for error messages.
    :returns: the WWIDs (lower case) by group name.
    :raises GroupsFileError: if the text is not such a mapping, a group has
        no WWID, a group name cannot form a trait or two names form one.
    """
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise GroupsFileError('%s is not valid YAML: %s' % (path, e)) from e
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise GroupsFileError('%s must map group names to lists of WWIDs, '
                              'got a %s' % (path, type(data).__name__))
    groups = {}
    for name, wwids in data.items():
        name = str(name)
        try:
            traits.consistency_group_trait(name)
        except ValueError as e:
            raise GroupsFileError('%s: bad group name %r: %s'
                                  % (path, name, e)) from e
        if not isinstance(wwids, list) or not wwids:
            raise GroupsFileError('%s: group %r must list at least one WWID'
                                  % (path, name))
        groups[name] = [_wwid(w, name, path) for w in wwids]
    clash = traits.same_trait(groups, traits.consistency_group_trait)
    if clash:
        raise GroupsFileError(
            '%s: groups %r and %r are one name (%s): keep one spelling'
            % (path, clash[0], clash[1],
               traits.consistency_group_trait(clash[0])))
    return groups


def load_groups(fs: hostfs.HostFS, path: str) -> dict[str, list[str]]:
    """Read and parse the groups file.

    :param fs: the host; the file is read under its root.
    :param path: ``[zha_agent] consistency_groups_file``; a relative path is
        taken from the current directory.
    :returns: the WWIDs by group name.
    :raises GroupsFileError: if the file cannot be read or is malformed.
    """
    try:
        text = fs.read_text(os.path.abspath(path))
    except OSError as e:
        raise GroupsFileError('cannot read %s: %s' % (path, e)) from e
    return parse_groups(text, path)


def evaluate_groups(groups: dict[str, list[str]], redundant: Set[str],
                    present: Set[str]) -> GroupsResult:
    """Return the groups whose every WWID is present over redundant paths.

    :param groups: the WWIDs by group name.
    :param redundant: the WWIDs of redundant maps.
    :param present: the WWIDs of every map.
    :returns: the groups to publish, with the missing and non-redundant
        WWIDs of every group.
    """
    published, details = set(), {}
    for name, wwids in groups.items():
        missing = sorted(w for w in wwids if w not in present)
        weak = sorted(w for w in wwids if w in present and w not in redundant)
        ok = not missing and not weak
        if ok:
            published.add(name)
        details[name] = {'published': ok, 'wwids': wwids,
                         'missing': missing, 'not_redundant': weak}
    return GroupsResult(frozenset(published), {'groups': details})


def probe_groups(fs: hostfs.HostFS, path: str | None, redundant: Set[str],
                 present: Set[str]) -> GroupsResult:
    """Load the configured groups file and evaluate it.

    :param fs: the host.
    :param path: ``[zha_agent] consistency_groups_file``, or None.
    :param redundant: the WWIDs of redundant maps.
    :param present: the WWIDs of every map.
    :returns: the groups to publish; none (with an ERROR logged) when the
        file cannot be read or is malformed.
    """
    if not path:
        return GroupsResult(frozenset(), {'file': None, 'groups': {}})
    try:
        groups = load_groups(fs, path)
    except GroupsFileError as e:
        conditions.error(LOG, 'No consistency group traits: %s', e,
                         resolved='Consistency groups file %s is readable '
                         'and valid again.' % path)
        return GroupsResult(frozenset(), {'file': path, 'error': str(e),
                                          'groups': {}})
    result = evaluate_groups(groups, redundant, present)
    result.details['file'] = path
    return result
