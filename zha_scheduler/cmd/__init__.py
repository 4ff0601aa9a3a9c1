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

"""The console scripts; ``common`` holds the rules they all follow."""

import warnings

# Python imports this package before any console script's module, and so
# before the libraries those import: tooz (zha-evacuate) and Nova import
# eventlet, whose deprecation notice would add ten lines to the stderr of
# every run, one-line error messages included.
warnings.filterwarnings('ignore', message=r'\s*Eventlet is deprecated')
