"""Text understanding: normalisation, segmentation, pinyin."""
from knowledge_base.text.normalizer import Normalizer
from knowledge_base.text.segmenter import Segmenter
from knowledge_base.text.pinyin import to_pinyin

__all__ = ["Normalizer", "Segmenter", "to_pinyin"]
