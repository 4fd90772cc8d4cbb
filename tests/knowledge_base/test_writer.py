import pytest

from knowledge_base import load_kb
from knowledge_base.writer import write_kb


@pytest.mark.parametrize("fmt, suffix", [("yaml", "yml"), ("jsonl", "jsonl"), ("csv", "csv"), ("xlsx", "xlsx"),
                                         ("rasa", "yml")])
def test_demo_kb_round_trips_in_every_format(tmp_path, fmt, suffix):
    from tests.conftest import DEMO

    kb = load_kb(DEMO / "kb.yml")
    out = tmp_path / f"kb.{suffix}"
    write_kb(kb, out, fmt)
    assert [e.to_dict() for e in load_kb(out)] == [e.to_dict() for e in kb]


def test_metadata_and_dates_survive_csv(tmp_path, write):
    kb = load_kb(write("kb.jsonl", '{"id": "a", "question": "双十一活动", "valid_from": "2024-11-01", '
                                   '"valid_to": "2024-11-12", "metadata": {"owner": "运营"}, "status": "draft"}\n'
                                   '{"id": "b", "question": "运费"}\n'))
    write_kb(kb, tmp_path / "out.csv", "csv")
    assert [e.to_dict() for e in load_kb(tmp_path / "out.csv")] == [e.to_dict() for e in kb]


def test_a_malformed_excel_sheet_names_sheet_row_and_column_and_loads_nothing(tmp_path):
    from openpyxl import Workbook

    from knowledge_base.loader import KBValidationError

    book = Workbook()
    sheet = book.active
    sheet.title = "entries"
    sheet.append(["id", "question", "similar", "answer", "handoff", "metadata"])
    sheet.append(["refund", "退款多久到账", "钱什么时候退|退款进度", "1-7个工作日", "", ""])
    sheet.append(["invoice", "", "发票在哪开", "订单详情页", "maybe", "{not json"])
    sheet.append(["fee", "运费怎么算", "", "满99包邮", "", "", "多出来的格子"])
    path = tmp_path / "kb.xlsx"
    book.save(path)
    with pytest.raises(KBValidationError) as error:
        load_kb(path)
    text = str(error.value)
    assert f"{path} [sheet entries]:3: handoff (column E): 'maybe' is not true/false" in text
    assert f"{path} [sheet entries]:3: metadata (column F): not valid JSON" in text
    assert f"{path} [sheet entries]:3: question" in text
    assert f"{path} [sheet entries]:4: row has more cells than the header" in text


def test_a_file_that_is_not_a_workbook_is_refused_clearly(write):
    from knowledge_base.loader import KBValidationError

    with pytest.raises(KBValidationError, match="not an Excel .xlsx workbook"):
        load_kb(write("kb.xlsx", "id,question\na,b\n"))
