from django.apps import AppConfig


class StatsApiConfig(AppConfig):
    name = "panel.stats_api"
    label = "stats_api"
