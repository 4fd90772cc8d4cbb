import jieba

from knowledge_base.text import Segmenter


def test_user_dictionary_and_synonyms_shape_the_words(write):
    dictionary = write("dict.txt", "运费险 100 n\n# comment line\n七天无理由 50\n")
    synonyms = write("syn.yml", "synonyms:\n  快递: [物流, 包裹]\n")
    seg = Segmenter(str(dictionary), str(synonyms)).fit(["价保"])
    assert "运费险" in seg.predict("退货有运费险吗")
    assert "七天无理由" in seg.predict("支持七天无理由退货吗")
    assert seg.predict("我的包裹到哪了") == seg.predict("我的快递到哪了")


def test_the_process_global_jieba_is_untouched():
    before = jieba.dt.FREQ.get("优选商城价保")
    Segmenter().fit(["优选商城价保"]).predict("优选商城价保怎么申请")
    assert jieba.dt.FREQ.get("优选商城价保") == before


def test_stop_words_are_dropped_but_never_everything():
    seg = Segmenter().fit()
    assert "吗" not in seg.content_words("可以退货吗")
    assert seg.content_words("吗") == ["吗"]


def test_english_is_tokenised_sensibly():
    seg = Segmenter().fit()
    assert seg.content_words("How do I activate my cards?") == ["how", "activate", "card"]


def test_segmenter_state_round_trips(tmp_path):
    seg = Segmenter().fit(["白条分期"])
    seg.save(tmp_path)
    assert Segmenter.load(tmp_path).predict("白条分期怎么还") == seg.predict("白条分期怎么还")
