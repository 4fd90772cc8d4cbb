"""The component's block in a Rasa ``config.yml``, read once into a typed, frozen object."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Dict, Optional

from integrations.rasa.faq_intents import FaqIntents
from integrations.rasa.names import CLARIFY_INTENT, HANDOFF_INTENT


@dataclass(frozen=True)
class ComponentSettings:
    intents: str = "faq/"  # see FaqIntents: the retrieval intent faq, or a prefix such as "faq_"
    config: Optional[str] = None  # a faqbot config.yml: thresholds, segmenter dictionary, transfer rules
    clarify_intent: str = CLARIFY_INTENT
    handoff_intent: str = HANDOFF_INTENT
    # Another classifier earlier in the pipeline keeps its (non-FAQ) intent at or above this confidence.
    keep_intents_above: float = 0.8
    channel: str = "default"  # which answer variant faqbot's texts use (default, web, app …)
    transfer_rules: bool = True  # faqbot's transfer rules (转人工, complaints, two fallbacks …) may hand off

    @property
    def faq_intents(self) -> FaqIntents:
        return FaqIntents(self.intents)

    @classmethod
    def defaults(cls) -> Dict[str, Any]:
        return dataclasses.asdict(cls())

    @classmethod
    def from_rasa(cls, config: Dict[str, Any]) -> "ComponentSettings":
        """Rasa hands every component a plain dict: unknown keys and wrong types are errors here,
        at training, not surprises on a customer's message."""
        fields = {f.name: f for f in dataclasses.fields(cls)}
        unknown = sorted(set(config) - set(fields))
        if unknown:
            raise ValueError(f"FaqbotClassifier: unknown option(s) {unknown}; allowed: {sorted(fields)}")
        values = {k: v for k, v in config.items() if k in fields}
        for name, value in values.items():
            default = fields[name].default
            if name == "config":
                if value is not None and not isinstance(value, str):
                    raise ValueError(f"FaqbotClassifier: config must be a path to a faqbot config.yml, got {value!r}")
            elif isinstance(default, bool):
                if not isinstance(value, bool):
                    raise ValueError(f"FaqbotClassifier: {name} must be true or false, got {value!r}")
            elif isinstance(default, float):
                if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
                    raise ValueError(f"FaqbotClassifier: {name} must be a number in [0, 1], got {value!r}")
                values[name] = float(value)
            elif not isinstance(value, str) or not value:
                raise ValueError(f"FaqbotClassifier: {name} must be a non-empty string, got {value!r}")
        settings = cls(**values)
        settings.faq_intents  # validates the pattern
        return settings
