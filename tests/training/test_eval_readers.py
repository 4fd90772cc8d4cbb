"""Labelled queries from the formats evaluators already have, and clear errors for bad files."""
import json

import pytest

from training.queries import LabelledQuery, QueryFileError, load_queries

KNOWN = {"refund", "invoice", "clinc150:translate"}

RASA = """\
version: "3.1"
nlu:
- intent: faq/refund
  examples: |
    - 退款多久能到
    - [钱](money)什么时候退回来
- intent: invoice
  examples: |
    - 能开票吗
- intent: out_of_scope
  examples: |
    - 帮我写首诗
"""


def test_rasa_nlu_test_data_maps_retrieval_intents_and_out_of_scope(write):
    path = write("test_nlu.yml", RASA)
    assert load_queries(path, KNOWN) == [
        LabelledQuery("退款多久能到", "refund"), LabelledQuery("钱什么时候退回来", "refund"),
        LabelledQuery("能开票吗", "invoice"), LabelledQuery("帮我写首诗", None)]


def test_clinc150_json_reads_test_by_default_and_a_named_split_with_its_oos(write):
    data = {"train": [["say hi in french", "translate"]], "val": [["how do you say hello in german", "translate"]],
            "oos_val": [["what is the meaning of life", "oos"]], "test": [["translate thanks to italian", "translate"]],
            "oos_test": [["sing me a song", "oos"]]}
    path = write("data_full.json", json.dumps(data))
    assert load_queries(path, KNOWN) == [LabelledQuery("translate thanks to italian", "clinc150:translate"),
                                         LabelledQuery("sing me a song", None)]
    assert load_queries(f"{path}#val", KNOWN) == [LabelledQuery("how do you say hello in german", "clinc150:translate"),
                                                  LabelledQuery("what is the meaning of life", None)]
    with pytest.raises(QueryFileError, match="no split 'dev'"):
        load_queries(f"{path}#dev", KNOWN)


def test_csv_with_text_and_label_columns_an_empty_label_is_out_of_scope(write):
    path = write("q.csv", "text,label\n退款多久到账,refund\n\"发票, 怎么开\",invoice\n写首诗,\n")
    assert load_queries(path, KNOWN) == [LabelledQuery("退款多久到账", "refund"), LabelledQuery("发票, 怎么开", "invoice"),
                                         LabelledQuery("写首诗", None)]


def test_jsonl_contract_still_reads(write):
    path = write("q.jsonl", '{"text": "退款", "expected_id": "refund", "type": "paraphrase"}\n\n'
                            '{"text": "写诗", "expected_id": null}\n')
    assert load_queries(path, KNOWN) == [LabelledQuery("退款", "refund"), LabelledQuery("写诗", None)]


@pytest.mark.parametrize("name, text, message", [
    ("q.csv", "text,label\n退款,refund\n写诗,poetry\n", "q.csv:3: expected_id: 'poetry' is not an entry"),
    ("q.csv", "question,intent\n退款,refund\n", "q.csv:1: a query CSV needs a header with 'text' and 'label'"),
    ("q.jsonl", '{"text": "退款", "expected_id": "refund"}\n{"text": "x"\n', "q.jsonl:2: not valid JSON"),
    ("q.jsonl", '{"text": "退款"}\n', "q.jsonl:1: expected_id: missing"),
    ("nlu.yml", RASA.replace("invoice", "shipping"), "nlu.yml:7: expected_id: 'shipping' is not an entry"),
    ("nlu.yml", "entries: []\n", "nlu.yml: not Rasa NLU YAML"),
    ("data.json", '{"test": [["hi", "translate"], ["bad"]]}', "data.json: test[1]: expected [text, intent]"),
    ("q.txt", "退款\n", "unknown query file type '.txt'"),
])
def test_bad_files_are_refused_naming_file_and_line(write, name, text, message):
    with pytest.raises(QueryFileError) as info:
        load_queries(write(name, text), KNOWN)
    assert message in str(info.value)
