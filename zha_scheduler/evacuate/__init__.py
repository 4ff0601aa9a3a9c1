"""Evacuation hook: restart a failed LPAR's instances on its standby partner."""
