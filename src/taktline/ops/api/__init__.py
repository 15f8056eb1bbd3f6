"""The REST API of the operations service (FastAPI): :func:`create_app`."""

from taktline.ops.api.app import API_PREFIX, create_app

__all__ = ["API_PREFIX", "create_app"]
