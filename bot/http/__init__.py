"""The HTTP API and pages (FastAPI): one router module per audience, composed by ``create_app``."""
