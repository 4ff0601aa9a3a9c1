"""ZHA host filters, loadable by Nova through ``all_filters``."""

from zha_scheduler import plugins

NAMESPACE = 'zha_scheduler.filters'


def all_filters() -> list[type]:
    """Return the filter classes registered in ``zha_scheduler.filters``.

    Name this function in ``[filter_scheduler] available_filters`` beside
    ``nova.scheduler.filters.all_filters``.
    """
    return plugins.load_classes(NAMESPACE)
