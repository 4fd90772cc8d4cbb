"""An entry's ``action`` (the lookup its answer makes) is checked on import, line and field named."""
import pytest

from knowledge_base import load_kb
from knowledge_base.loader import KBValidationError


def test_an_action_with_per_channel_templates_loads(write):
    kb = load_kb(write("kb.yml", "entries:\n  - id: track\n    question: 快递到哪了\n    answer: 在订单页查看。\n"
                                 "    action:\n      name: order_status\n      answer:\n        default: '{status}'\n"
                                 "        app: 'App：{status}'\n"))
    entry = kb["track"]
    assert (entry.action_template("app"), entry.action_template("web"), entry.answer_for()) == \
           ("App：{status}", "{status}", "在订单页查看。")


@pytest.mark.parametrize("action, problem", [
    ("{answer: '{status}'}", "needs 'name'"),
    ("{name: order_status}", "needs 'answer'"),
    ("{name: order_status, answer: {app: x}}", "need a 'default' variant"),
    ("{name: order_status, answer: x, url: http://x}", "unknown key(s) ['url']"),
    ("order_status", "expected a mapping"),
])
def test_a_malformed_action_is_refused_with_its_line(write, action, problem):
    with pytest.raises(KBValidationError) as error:
        load_kb(write("kb.yml", f"entries:\n  - id: track\n    question: 快递到哪了\n    action: {action}\n"))
    [found] = error.value.problems
    assert (found.line, found.field) == (4, "action") and problem in found.message
