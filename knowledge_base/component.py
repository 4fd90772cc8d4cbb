"""The one shape every trained part of a bot has, so that one loader and one test serve them all.

``fit(...)`` learns and returns the component; ``predict(...)`` is what it is for; ``save(folder)``
writes its own state (never another component's) into a folder it owns; ``load(folder, **dependencies)``
reads it back, given the objects named by ``dependencies()`` (other components, the encoder).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Dict

from knowledge_base.errors import FaqbotError


class NotFittedError(FaqbotError, ValueError):
    """A component asked to predict or save before it learned anything."""

    code = "not_fitted"


def not_fitted(name: str) -> NotFittedError:
    return NotFittedError(f"{name} is not fitted: call fit() first")


class Component:
    """Base of every component: its dependencies (none by default) and the not-fitted check."""

    def fit(self, *args, **kwargs) -> "Component":
        raise NotImplementedError

    def predict(self, *args, **kwargs) -> Any:
        raise NotImplementedError

    def save(self, folder: Path) -> None:
        raise NotImplementedError

    @classmethod
    def load(cls, folder: Path, **dependencies) -> "Component":
        raise NotImplementedError

    def dependencies(self) -> Dict[str, Any]:
        """What ``load`` needs besides the folder, by keyword: the trained folder records the names."""
        return {}

    def _require_fitted(self, attribute: str) -> None:
        """Raise NotFittedError unless ``fit`` (or ``load``) has set ``attribute``."""
        if getattr(self, attribute, None) is None:
            raise not_fitted(type(self).__name__)
