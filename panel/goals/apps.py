from django.apps import AppConfig


class GoalsConfig(AppConfig):
    name = "panel.goals"
    label = "goals"
