from django.apps import AppConfig


class SubscribersConfig(AppConfig):
    name = "subscribers"

    def ready(self):
        from anymail.signals import tracking

        from subscribers.receivers import record_tracking_event

        tracking.connect(record_tracking_event, dispatch_uid="subscribers.record_tracking_event")
