#!/bin/bash
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

# zha-scheduler DevStack plugin. DevStack sources this file as
#   plugin.sh stack pre-install|install|post-config|extra|test-config
#   plugin.sh unstack
#   plugin.sh clean
# after devstack/settings, with its own functions (setup_develop, iniset,
# run_process, ...) and variables (NOVA_CONF, TEMPEST_CONFIG, ...) defined.
# Every step may run again on the next stack.sh: none of them adds a value
# that is already there.

_XTRACE_ZHA_SCHEDULER=$(set +o | grep xtrace)
set -o xtrace

# Nova's own defaults, used when nova.conf does not set the option: appending
# to an empty value would replace Nova's list by the ZHA entries alone.
_ZHA_NOVA_ALL_FILTERS=nova.scheduler.filters.all_filters
_ZHA_NOVA_DEFAULT_FILTERS=ComputeFilter,ComputeCapabilitiesFilter,ImagePropertiesFilter,ServerGroupAntiAffinityFilter,ServerGroupAffinityFilter
_ZHA_NOVA_ALL_WEIGHERS=nova.scheduler.weights.all_weighers

# _zha_in VALUE [ITEM...]: whether VALUE is one of the ITEMs.
function _zha_in {
    local value=$1 item
    shift
    for item in "$@"; do
        if [[ "$item" == "$value" ]]; then
            return 0
        fi
    done
    return 1
}

# _zha_add_to_list FILE SECTION OPTION DEFAULT VALUE...: append each VALUE
# missing from the comma-separated list option, which starts from DEFAULT
# when the file does not set it.
function _zha_add_to_list {
    local file=$1 section=$2 option=$3 default=$4
    shift 4
    local current value
    current=$(iniget "$file" "$section" "$option")
    current=${current// /}
    local updated=${current:-$default}
    for value in "$@"; do
        if [[ ",$updated," != *",$value,"* ]]; then
            updated=${updated:+$updated,}$value
        fi
    done
    if [[ "$updated" != "$current" ]]; then
        iniset "$file" "$section" "$option" "$updated"
    fi
}

# The package goes where Nova's services import from: setup_develop installs
# into DevStack's global virtualenv when GLOBAL_VENV is on, else system-wide,
# as it does for nova itself. nova-api needs it too, for the zha: extra spec
# validators.
function install_zha_scheduler {
    setup_develop "$ZHA_SCHEDULER_DIR"
}

# available_filters is multi-valued: Nova's own line first, then any line
# already there (another plugin's filters), then ours.
function _zha_configure_available_filters {
    local zha_all=zha_scheduler.filters.all_filters
    local -a current
    read -r -a current <<< "$(iniget_multiline "$NOVA_CONF" filter_scheduler available_filters)"
    if [[ "${current[0]:-}" == "$_ZHA_NOVA_ALL_FILTERS" ]]; then
        if ! _zha_in "$zha_all" "${current[@]}"; then
            iniadd "$NOVA_CONF" filter_scheduler available_filters "$zha_all"
        fi
        return 0
    fi
    # Unset (Nova's default applies, and would be lost by adding a line) or
    # Nova's line is not first: write the lines again in order.
    local -a values=("$_ZHA_NOVA_ALL_FILTERS")
    local value
    for value in "${current[@]}"; do
        if ! _zha_in "$value" "$_ZHA_NOVA_ALL_FILTERS" "$zha_all"; then
            values+=("$value")
        fi
    done
    values+=("$zha_all")
    iniset_multiline "$NOVA_CONF" filter_scheduler available_filters "${values[@]}"
}

function configure_zha_scheduler {
    _zha_configure_available_filters
    local -a filters
    IFS=, read -r -a filters <<< "$ZHA_SCHEDULER_FILTERS"
    _zha_add_to_list "$NOVA_CONF" filter_scheduler enabled_filters \
        "$_ZHA_NOVA_DEFAULT_FILTERS" "${filters[@]}"
    _zha_add_to_list "$NOVA_CONF" filter_scheduler weight_classes \
        "$_ZHA_NOVA_ALL_WEIGHERS" zha_scheduler.weights.all_weighers
}

# Without an s390x host (or when asked to) the agent reads a fixture tree and
# publishes a named CPC, so that the scheduler sees a topology anyway.
function _zha_agent_simulated {
    [[ -n "$ZHA_SIMULATED_CPC" || "$(uname -m)" != s390x ]]
}

# _zha_iniset_if FILE SECTION OPTION VALUE: set OPTION only when VALUE is not
# empty, so that the agent's own default applies otherwise.
function _zha_iniset_if {
    if [[ -n "$4" ]]; then
        iniset "$1" "$2" "$3" "$4"
    fi
}

function configure_zha_agent {
    sudo install -d -o "$STACK_USER" -m 0755 "$ZHA_CONF_DIR"
    # Emptied on every stack: a setting removed from localrc must not
    # linger. 0640: it holds the service user's password.
    install -m 0640 /dev/null "$ZHA_AGENT_CONF"

    iniset "$ZHA_AGENT_CONF" DEFAULT debug "${ENABLE_DEBUG_LOG_LEVEL:-True}"

    # The agent writes traits as the same service user nova-compute uses
    # for Placement.
    local option
    for option in auth_type auth_url username password project_name \
            user_domain_name project_domain_name region_name; do
        _zha_iniset_if "$ZHA_AGENT_CONF" placement "$option" \
            "$(iniget "$NOVA_CONF" placement "$option")"
    done

    local groups_file=$ZHA_AGENT_CONSISTENCY_GROUPS_FILE
    if _zha_agent_simulated; then
        iniset "$ZHA_AGENT_CONF" zha_agent cpc_name "${ZHA_SIMULATED_CPC:-DEVSTACK1}"
        # Read under --root, like every host file.
        groups_file=${groups_file:-/etc/zha-scheduler/consistency-groups.yaml}
    fi
    _zha_iniset_if "$ZHA_AGENT_CONF" zha_agent site "$ZHA_AGENT_SITE"
    iniset "$ZHA_AGENT_CONF" zha_agent standby "$ZHA_AGENT_STANDBY"
    _zha_iniset_if "$ZHA_AGENT_CONF" zha_agent provider_name "$ZHA_AGENT_PROVIDER_NAME"
    iniset "$ZHA_AGENT_CONF" zha_agent interval "$ZHA_AGENT_INTERVAL"
    _zha_iniset_if "$ZHA_AGENT_CONF" zha_agent consistency_groups_file "$groups_file"
}

function start_zha_agent {
    local cmd user=$ZHA_AGENT_USER
    cmd="${NOVA_BIN_DIR:-$(get_python_exec_prefix)}/zha-trait-agent --config-file $ZHA_AGENT_CONF"
    if _zha_agent_simulated; then
        cmd+=" --root $ZHA_FIXTURE_ROOT"
    else
        # multipathd answers root only.
        user=${user:-root}
    fi
    run_process zha-agent "$cmd" "" "$user"
}

function stop_zha_agent {
    stop_process zha-agent
}

# Tempest skips scheduler tests of filters it does not know are enabled.
function configure_zha_tempest {
    local current
    current=$(iniget "$TEMPEST_CONFIG" compute-feature-enabled scheduler_enabled_filters)
    if [[ "$current" == all ]]; then
        return 0
    fi
    local nova_filters
    nova_filters=$(iniget "$NOVA_CONF" filter_scheduler enabled_filters)
    local -a filters
    IFS=, read -r -a filters <<< "$ZHA_SCHEDULER_FILTERS"
    # Unset, tempest would assume its own default list, not what Nova runs.
    _zha_add_to_list "$TEMPEST_CONFIG" compute-feature-enabled scheduler_enabled_filters \
        "${nova_filters:-$_ZHA_NOVA_DEFAULT_FILTERS}" "${filters[@]}"
}

# Only the files this plugin wrote: the directory may hold the operator's own
# (a consistency groups file).
function cleanup_zha_agent {
    sudo rm -f "$ZHA_AGENT_CONF"
    if [[ -d "$ZHA_CONF_DIR" ]]; then
        sudo rmdir --ignore-fail-on-non-empty "$ZHA_CONF_DIR"
    fi
}

if [[ "$1" == "stack" ]]; then
    case "$2" in
        install)
            if is_service_enabled n-sch n-api n-cpu; then
                echo_summary "Installing zha-scheduler"
                install_zha_scheduler
            fi
            ;;
        post-config)
            if is_service_enabled n-sch; then
                echo_summary "Enabling the zha-scheduler filters and weighers"
                configure_zha_scheduler
            fi
            if is_service_enabled n-cpu && is_service_enabled zha-agent; then
                echo_summary "Configuring zha-trait-agent"
                configure_zha_agent
            fi
            ;;
        extra)
            if is_service_enabled n-cpu && is_service_enabled zha-agent; then
                echo_summary "Starting zha-trait-agent"
                start_zha_agent
            fi
            ;;
        test-config)
            if is_service_enabled tempest && is_service_enabled n-sch; then
                configure_zha_tempest
            fi
            ;;
    esac
elif [[ "$1" == "unstack" ]]; then
    if is_service_enabled zha-agent; then
        stop_zha_agent
    fi
elif [[ "$1" == "clean" ]]; then
    cleanup_zha_agent
fi

$_XTRACE_ZHA_SCHEDULER
