from django.apps import AppConfig


class ApiKeysConfig(AppConfig):
    name = "panel.apikeys"
    label = "apikeys"
