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

"""Validators for the ``zha:`` flavor extra specs.

Registered under the ``nova.api.extra_spec_validators`` entry point group as
the module itself, as Nova registers its own namespaces: Nova's API imports
it and calls ``register()``. With microversion 2.86 or later the flavor API
then accepts ``zha:redundancy`` and ``zha:consistency_group`` with valid
values and rejects anything else in the ``zha:`` namespace with HTTP 400.

Nova 34's load-failure callback reads ``ep.module_name``, which modern entry
points lack: if this module failed to import, the callback itself would raise
and nova-api would not start. It therefore imports only light modules.
"""

from typing import Any

from nova.api.validation.extra_specs import base
from nova import exception

from zha_scheduler import request_spec
from zha_scheduler import traits

_KEYS = ('%s (%s) and %s (a storage consistency group name)' % (
    request_spec.REDUNDANCY, ', '.join(request_spec.REDUNDANCY_VALUES),
    request_spec.CONSISTENCY_GROUP))


class _RedundancyValidator(base.ExtraSpecValidator):
    """``zha:redundancy``: required or preferred."""

    def validate(self, name: str, value: Any) -> None:
        if value not in request_spec.REDUNDANCY_VALUES:
            raise exception.ValidationError(
                "Validation failed; extra spec '%s' must be one of: %s; got "
                "'%s'." % (name, ', '.join(request_spec.REDUNDANCY_VALUES),
                           value))


class _ConsistencyGroupValidator(base.ExtraSpecValidator):
    """``zha:consistency_group``: a name the host agent can publish."""

    def validate(self, name: str, value: Any) -> None:
        try:
            traits.consistency_group_trait(value)
        except ValueError:
            raise exception.ValidationError(
                "Validation failed; extra spec '%s' must name a storage "
                "consistency group (a non-empty name, as in the host agent's "
                "consistency groups file); got '%s'." % (name, value)
            ) from None


class _UnknownKeyValidator(base.ExtraSpecValidator):
    """Any other ``zha:`` key: rejected, naming the keys that exist."""

    def validate(self, name: str, value: Any) -> None:
        raise exception.ValidationError(
            "Validation failed; '%s' is not a zha-scheduler extra spec: the "
            "'%s:' namespace has only %s." % (
                name, request_spec.NAMESPACE, _KEYS))


EXTRA_SPEC_VALIDATORS = [
    _RedundancyValidator(
        name=request_spec.REDUNDANCY,
        description=(
            'Whether instances of the flavor need hosts with redundant '
            'network and storage (CUSTOM_ZHA_NET_REDUNDANT and '
            'CUSTOM_ZHA_STORAGE_REDUNDANT). ``required``: '
            'ZhaRedundancyFilter admits only such hosts. ``preferred``: '
            'ZhaRedundancyWeigher weighs host health ten times more. '
            'Only used by zha-scheduler.'),
        value={'type': str, 'enum': list(request_spec.REDUNDANCY_VALUES),
               'description': 'required or preferred'},
    ),
    _ConsistencyGroupValidator(
        name=request_spec.CONSISTENCY_GROUP,
        description=(
            'A storage consistency group whose volumes instances of the '
            'flavor use: ZhaConsistencyGroupFilter admits only hosts '
            'reaching all of them over redundant paths '
            '(CUSTOM_ZHA_CG_<NAME>). Only used by zha-scheduler.'),
        value={'type': str,
               'description': 'The group name, as in the host agent\'s '
                              'consistency groups file.'},
    ),
    _UnknownKeyValidator(
        name=request_spec.NAMESPACE + ':{key}',
        description='Any other key of the zha namespace is rejected.',
        value={'type': str},
        parameters=[{'name': 'key', 'pattern': r'.*',
                     'description': 'an unknown key'}],
    ),
]


def register() -> list[base.ExtraSpecValidator]:
    """Return the ``zha:`` validators (Nova's extra spec validator hook)."""
    return EXTRA_SPEC_VALIDATORS
