"""Which optional extra a missing module comes with, so a command names what to install.

The core (understanding, training, evaluation, knowledge-base tools) installs with ``pip install
faqbot``; the service and the English encoder are extras (pyproject.toml), so faqbot also installs
beside Rasa 3.6, whose pins rule them out (docs/rasa.md).
"""
from __future__ import annotations

from typing import Optional

EXTRA_OF = {
    "fastapi": "serve", "starlette": "serve", "uvicorn": "serve", "websockets": "serve", "sqlalchemy": "serve",
    "psycopg": "serve", "prometheus_client": "serve", "redis": "serve",
    "torch": "english", "sentence_transformers": "english", "transformers": "english",
}


def install_hint(exc: ModuleNotFoundError) -> Optional[str]:
    """``pip install 'faqbot[serve]'`` and why, when ``exc`` is a missing extra's module; else None."""
    extra = EXTRA_OF.get((exc.name or "").split(".")[0])
    if extra is None:
        return None
    return f"this needs faqbot's {extra!r} extra ({exc.name} is not installed): pip install 'faqbot[{extra}]'"
