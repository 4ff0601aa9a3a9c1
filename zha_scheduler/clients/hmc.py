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

"""Sessions to the IBM Z HMC through zhmcclient, from ``[zha_evacuate]``."""

from collections.abc import Callable
import dataclasses
import os
from typing import Any

from oslo_config import cfg
from oslo_log import log as logging

LOG = logging.getLogger(__name__)

GROUP = 'zha_evacuate'
REQUIRED_OPTIONS = ('hmc_host', 'hmc_userid', 'hmc_password', 'lpars_file')
# Fail over to a clear error quickly when the HMC is unreachable: the
# library defaults (30 s x 3 retries per connection) stall an evacuation.
CONNECT_TIMEOUT = 10
CONNECT_RETRIES = 2

SessionFactory = Callable[..., Any]


class HmcConfigError(Exception):
    """The ``[zha_evacuate] hmc_*`` options cannot reach an HMC."""


class HmcError(Exception):
    """The HMC could not be reached or refused the session."""


@dataclasses.dataclass(frozen=True)
class HmcSettings:
    """Where the HMC is and how to log on to it."""

    host: str
    userid: str
    password: str
    port: int
    ca_file: str | None
    insecure: bool
    lpars_file: str

    @classmethod
    def from_conf(cls, conf: cfg.ConfigOpts) -> 'HmcSettings':
        """Read the options of ``[zha_evacuate]``.

        :raises HmcConfigError: a required option is not set.
        """
        opts = conf[GROUP]
        missing = [name for name in REQUIRED_OPTIONS if not opts[name]]
        if missing:
            raise HmcConfigError(
                'fencing = hmc needs ' +
                ', '.join('[%s] %s' % (GROUP, name) for name in missing) +
                ' in the configuration file')
        return cls(host=opts.hmc_host, userid=opts.hmc_userid,
                   password=opts.hmc_password, port=opts.hmc_port,
                   ca_file=opts.hmc_ca_file, insecure=opts.hmc_insecure,
                   lpars_file=opts.lpars_file)

    def verify_cert(self) -> bool | str:
        """zhmcclient's ``verify_cert``: the CA file, True or False.

        :raises HmcConfigError: ``hmc_ca_file`` does not exist.
        """
        if self.insecure:
            LOG.warning('TLS certificate verification of HMC %(hmc)s is '
                        'disabled ([%(group)s] hmc_insecure = True); the HMC '
                        'credentials can be intercepted',
                        {'hmc': self.host, 'group': GROUP})
            return False
        if self.ca_file:
            if not os.path.isfile(self.ca_file):
                raise HmcConfigError('[%s] hmc_ca_file %s does not exist'
                                     % (GROUP, self.ca_file))
            return self.ca_file
        return True

    def open_session(self, timeout: int,
                     session_factory: SessionFactory | None = None) -> Any:
        """Open (not yet log on) a zhmcclient session to the HMC.

        :param timeout: seconds an operation, and a wait for a status,
            may take.
        :param session_factory: called as ``zhmcclient.Session`` (tests pass
            one returning a faked session).
        :raises HmcConfigError: as verify_cert.
        :raises HmcError: zhmcclient refused the session.
        """
        import zhmcclient

        retry = zhmcclient.RetryTimeoutConfig(
            connect_timeout=CONNECT_TIMEOUT, connect_retries=CONNECT_RETRIES,
            operation_timeout=timeout, status_timeout=timeout)
        factory = session_factory or zhmcclient.Session
        try:
            return factory(self.host, self.userid, self.password,
                           port=self.port, verify_cert=self.verify_cert(),
                           retry_timeout_config=retry)
        except zhmcclient.Error as exc:
            raise HmcError('cannot open a session to HMC %s: %s'
                           % (self.host, exc)) from None
