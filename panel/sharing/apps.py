from django.apps import AppConfig


class SharingConfig(AppConfig):
    name = "panel.sharing"
    label = "sharing"
