"""Text understanding: normalisation, segmentation, pinyin."""
from .normalizer import Normalizer
from .segmenter import Segmenter
from .pinyin import to_pinyin

__all__ = ["Normalizer", "Segmenter", "to_pinyin"]
