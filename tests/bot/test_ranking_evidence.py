"""Topping a channel in which nothing matched the message is no evidence: "这个有货吗" shares no word with
the demo KB, and its word channel's tie at zero had read as every candidate being that channel's best."""
import numpy as np

from intents.ranker import NO_MATCH_GAP, FusionRanker
from knowledge_base.entry_scores import EntryScores


def test_a_channel_where_nothing_matched_gives_no_candidate_the_best_of_it():
    scores = EntryScores({"dense": np.array([[0.9, 0.8, 0.7]], np.float32),
                          "words": np.zeros((1, 3), np.float32)})
    features = FusionRanker(candidates=3).features(scores, np.array([[0, 1, 2]]), np.ones(3))
    dense, words = features[0, :, 0:3], features[0, :, 3:6]
    assert words[:, 1].tolist() == [NO_MATCH_GAP] * 3 and words[:, 2].tolist() == [0, 0, 0]
    assert dense[:, 2].tolist() == [1, 0, 0]  # a channel that matched still names its best


def test_a_picture_placeholder_is_not_answered_with_a_pleasantry(demo_bot):
    """"[图片]" (what a chat export shows for a photo) shares nothing with the KB: not understood, never
    small talk answered on a tie at nothing."""
    [analysis] = demo_bot.analyse(["[图片]"])
    assert demo_bot.decide(analysis).kind == "fallback"
