#!/bin/bash
# zha-scheduler DevStack plugin (minimal: install and enable the scheduler
# side; the host agent and tempest settings come with their own work).

function install_zha_scheduler {
    setup_develop "$ZHA_SCHEDULER_DIR"
}

# Append a value to a comma-separated list option unless it is already there.
function _zha_add_to_list {
    local file=$1 section=$2 option=$3 value=$4
    local current
    current=$(iniget "$file" "$section" "$option")
    if [[ ",$current," != *",$value,"* ]]; then
        iniset "$file" "$section" "$option" "${current:+$current,}$value"
    fi
}

function configure_zha_scheduler {
    local current
    current=$(iniget_multiline "$NOVA_CONF" filter_scheduler available_filters)
    if [[ "$current" != *zha_scheduler.filters.all_filters* ]]; then
        # Keep Nova's own filters first: available_filters is multi-valued.
        iniset_multiline "$NOVA_CONF" filter_scheduler available_filters \
            nova.scheduler.filters.all_filters zha_scheduler.filters.all_filters
    fi
    local filter
    for filter in ${ZHA_SCHEDULER_FILTERS//,/ }; do
        _zha_add_to_list "$NOVA_CONF" filter_scheduler enabled_filters "$filter"
    done
    current=$(iniget "$NOVA_CONF" filter_scheduler weight_classes)
    _zha_add_to_list "$NOVA_CONF" filter_scheduler weight_classes \
        "${current:-nova.scheduler.weights.all_weighers}"
    _zha_add_to_list "$NOVA_CONF" filter_scheduler weight_classes \
        zha_scheduler.weights.all_weighers
}

if is_service_enabled n-sch; then
    if [[ "$1" == "stack" && "$2" == "install" ]]; then
        install_zha_scheduler
    elif [[ "$1" == "stack" && "$2" == "post-config" ]]; then
        configure_zha_scheduler
    fi
fi
