from knowledge_base import load_kb
from knowledge_base.writer import write_kb

RASA_NLU = """\
version: "3.1"
nlu:
- intent: greet
  examples: |
    - 你好
    - 在吗
- intent: faq/ask_return
  examples: |
    - 怎么退货
    - 我想退[这个手机](product)
    - 退货流程是什么
- synonym: 快递
  examples: |
    - 物流
responses:
  utter_faq/ask_return:
  - text: 在「我的订单」里申请退货。
  - text: 打开App申请退货。
    channel: app
"""


def test_rasa_nlu_file_is_read_as_a_knowledge_base(write):
    kb = load_kb(write("nlu.yml", RASA_NLU))
    assert [e.id for e in kb] == ["greet", "ask_return"]  # faq/ask_return: an id is part of a URL
    ret = kb["ask_return"]
    assert ret.question == "怎么退货"
    assert ret.similar == ("我想退这个手机", "退货流程是什么")  # entity annotation stripped
    assert ret.answer == {"default": "在「我的订单」里申请退货。", "app": "打开App申请退货。"}
    assert kb["greet"].answer == {}


def test_rasa_intent_without_examples_is_reported_with_its_line(write):
    path = write("nlu.yml", 'version: "3.1"\nnlu:\n- intent: empty\n  examples: |\n    \n')
    import pytest

    from knowledge_base import KBValidationError

    with pytest.raises(KBValidationError, match=f"{path}:3: examples"):
        load_kb(path)


def test_demo_kb_round_trips_through_rasa_yaml_without_loss(tmp_path):
    from tests.conftest import DEMO

    kb = load_kb(DEMO / "kb.yml")
    write_kb(kb, tmp_path / "nlu.yml", "rasa")
    text = (tmp_path / "nlu.yml").read_text(encoding="utf-8")
    assert text.startswith('version: "3.1"\nnlu:\n- intent: faq/')
    back = load_kb(tmp_path / "nlu.yml")
    assert [e.to_dict() for e in back] == [e.to_dict() for e in kb]


def test_exported_rasa_yaml_is_what_rasa_expects(tmp_path):
    import yaml

    from tests.conftest import DEMO

    kb = load_kb(DEMO / "kb.yml")
    write_kb(kb, tmp_path / "nlu.yml", "rasa")
    doc = yaml.safe_load((tmp_path / "nlu.yml").read_text(encoding="utf-8"))
    first = doc["nlu"][0]
    entry = next(iter(kb))
    assert first["intent"] == f"faq/{entry.id}"
    assert first["examples"].splitlines()[0] == f"- {entry.question}"
    assert doc["responses"][f"utter_faq/{entry.id}"][0] == {"text": entry.answer_for()}


def test_extra_response_variations_and_buttons_survive_a_round_trip(tmp_path, write):
    nlu = RASA_NLU.replace("  - text: 打开App申请退货。\n    channel: app\n",
                           "  - text: 打开App申请退货。\n    channel: app\n  - text: 也可以联系客服退货。\n"
                           "  - text: 选择退货方式\n    buttons:\n    - title: 上门取件\n      payload: /pickup\n")
    kb = load_kb(write("nlu.yml", nlu))
    entry = kb["ask_return"]
    assert entry.answer == {"default": "在「我的订单」里申请退货。", "app": "打开App申请退货。"}
    assert len(entry.metadata["rasa_extra_responses"]) == 2
    write_kb(kb, tmp_path / "out.yml", "rasa")
    back = load_kb(tmp_path / "out.yml")
    assert [e.to_dict() for e in back] == [e.to_dict() for e in kb]
    import yaml

    responses = yaml.safe_load((tmp_path / "out.yml").read_text(encoding="utf-8"))["responses"]
    assert {"title": "上门取件", "payload": "/pickup"} in responses["utter_faq/ask_return"][3]["buttons"]
