from django.apps import AppConfig


class ScaledataConfig(AppConfig):
    """Holds the generate_scale_data command; no models of its own."""

    name = "scaledata"
