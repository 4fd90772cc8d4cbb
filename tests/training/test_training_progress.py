"""A training's progress is heard step by step even without bars: the trainer pages show a draft's
training in the background as it moves."""
from bot.config import load_config
from knowledge_base import load_kb
from training.trainer import train


def test_training_reports_each_step_up_to_its_total(tmp_path, mini_kb):
    heard = []
    train(load_kb(mini_kb), load_config(None), tmp_path / "m", show_progress=False,
          report=lambda step, done, total: heard.append((step, done, total)))
    steps = list(dict.fromkeys(step for step, _, _ in heard))
    assert steps == ["encoding questions", "held-out questions"]
    for step in steps:
        mine = [(done, total) for s, done, total in heard if s == step]
        assert mine[0][0] == 0 and mine[-1][0] == mine[-1][1] > 0  # from nothing to the whole step
        assert all(a[0] <= b[0] for a, b in zip(mine, mine[1:]))

