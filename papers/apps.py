from django.apps import AppConfig
from django.core import checks


class PapersConfig(AppConfig):
    name = "papers"

    def ready(self):
        # Imported here because models are not loaded before ready(); every process stops at start-up when
        # the text model is missing rather than failing later on the first paper it ingests. The tagger is
        # checked by papers.E002 (manage.py check, migrate, bootstrap), since fitting it needs a running Django.
        from papers import representation

        representation.check_installed()
        checks.register(check_text_model, checks.Tags.compatibility)
        checks.register(check_tagger, checks.Tags.compatibility)


def check_text_model(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """papers.E001: the text model loads and turns a probe sentence into a unit vector."""
    # Imported here for the same reason as in ready().
    from papers import representation

    try:
        (vector,) = representation.represent(["Speculative decoding speeds up language model inference."])
    except Exception as exc:
        return [checks.Error(f"the text model does not work: {exc}", id="papers.E001")]
    if vector.shape != (representation.DIMENSIONS,) or abs(float(vector @ vector) - 1.0) > 1e-3:
        return [checks.Error(f"the text model gave a vector of shape {vector.shape}", id="papers.E001")]
    return []


def check_tagger(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """papers.E002: the tagger loads and was fitted on vectors of the configured text model."""
    from papers import tagging  # imported here for the same reason as in ready()

    try:
        tagging.tagger()
    except Exception as exc:
        return [checks.Error(f"the tagger does not work: {exc}", id="papers.E002")]
    return []
