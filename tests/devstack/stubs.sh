#!/bin/bash
#
# Stand-ins for the DevStack functions that devstack/settings and
# devstack/plugin.sh call, other than the INI helpers (see ini-config), for
# tests/functional/test_devstack_plugin.py. Service state lives in ENABLED_SERVICES
# (comma-separated), as in DevStack. Functions with effects outside the test's
# directory only record their call in $ZHA_TEST_LOG: one line per call, name
# and arguments separated by tabs.

function _stub_record {
    local IFS=$'\t'
    echo "$*" >> "$ZHA_TEST_LOG"
}

# True when any of the services is enabled, as DevStack's.
function is_service_enabled {
    local service
    for service in "$@"; do
        if [[ ",$ENABLED_SERVICES," == *",$service,"* ]]; then
            return 0
        fi
    done
    return 1
}

function enable_service {
    local service
    for service in "$@"; do
        if ! is_service_enabled "$service"; then
            ENABLED_SERVICES=${ENABLED_SERVICES:+$ENABLED_SERVICES,}$service
        fi
    done
}

function disable_service {
    local service
    for service in "$@"; do
        ENABLED_SERVICES=$(echo ",$ENABLED_SERVICES," | sed -e "s/,$service,/,/g" -e 's/^,//' -e 's/,$//')
    done
}

# trueorfalse DEFAULT VARNAME: VARNAME's value as True or False, as DevStack's.
function trueorfalse {
    local default=$1 value=${!2:-}
    case "${value,,}" in
        1|yes|true|on) echo True ;;
        0|no|false|off) echo False ;;
        "") echo "$default" ;;
        *) echo "trueorfalse: invalid $2=$value" >&2; return 1 ;;
    esac
}

function define_plugin { _stub_record define_plugin "$@"; }
function plugin_requires { _stub_record plugin_requires "$@"; }
function setup_develop { _stub_record setup_develop "$@"; }
function run_process { _stub_record run_process "$@"; }
function stop_process { _stub_record stop_process "$@"; }
function echo_summary { echo "$@"; }

# The test runs as a user who may write its temporary files directly.
function sudo { "$@"; }

# DevStack's value without GLOBAL_VENV; lib/nova normally sets NOVA_BIN_DIR.
function get_python_exec_prefix { echo /usr/local/bin; }

# The plugin asks `uname -m` whether it runs on s390x.
function uname {
    if [[ "$1" == "-m" && -n "${ZHA_TEST_ARCH:-}" ]]; then
        echo "$ZHA_TEST_ARCH"
    else
        command uname "$@"
    fi
}
