from django.apps import AppConfig


class SitesConfig(AppConfig):
    name = "panel.sites"
    label = "sites"
