from datetime import datetime


def iso(moment: datetime) -> str:
    """RFC 3339 UTC with a Z, second precision: the form credentials and webhooks carry."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
