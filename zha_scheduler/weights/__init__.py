"""ZHA host weighers, loadable by Nova through ``all_weighers``."""

from zha_scheduler import plugins

NAMESPACE = 'zha_scheduler.weighers'


def all_weighers() -> list[type]:
    """Return the weigher classes registered in ``zha_scheduler.weighers``.

    Name this function in ``[filter_scheduler] weight_classes`` beside
    ``nova.scheduler.weights.all_weighers``.
    """
    return plugins.load_classes(NAMESPACE)
