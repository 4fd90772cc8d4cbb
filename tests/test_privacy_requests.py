"""A customer's data is deleted on request and nothing else is; mined suggestions never show raw
phone or card numbers; the access log masks what customers type into the suggestion box."""
import json
import logging

from typer.testing import CliRunner

from bot.cli.main import app
from bot.config import HandoffConfig
from bot.service.conversations import Conversations
from bot.store import ConversationStore

runner = CliRunner()


def test_forget_deletes_every_conversation_of_the_customer_and_nothing_else(store_url, demo_bot):
    service = Conversations.build(demo_bot, ConversationStore(store_url), HandoffConfig())
    for session, customer in (("f-1", "cust-42"), ("f-2", "cust-42"), ("f-3", "cust-7")):
        reply = service.handle(session, "怎么退货", customer_id=customer)
        service.store.add_feedback(session, reply["message_id"], "helpful", "no")
        service.handle(session, "转人工")
    result = runner.invoke(app, ["forget", "--customer", "cust-42", "--db", store_url])
    assert result.exit_code == 0, result.output
    deleted = json.loads(result.output)
    assert deleted["sessions"] == 2 and deleted["messages"] >= 8 and deleted["feedback"] == 2
    assert deleted["handoffs"] == 2 or deleted["tickets"] == 2
    assert service.store.history("f-1") == [] and service.store.session("f-2") is None
    assert [m["text"] for m in service.store.history("f-3") if m["sender"] == "customer"] == ["怎么退货", "转人工"]
    assert runner.invoke(app, ["forget", "--db", store_url]).exit_code == 2


def test_mined_questions_show_phone_and_card_numbers_masked(demo_bot):
    from bot.config import MiningConfig
    from training.mining import UnknownMessage, mine

    said = ["我的手机13812345678收不到验证码", "手机13812345678收不到验证码怎么办", "验证码收不到 13900001111"]
    found = mine([UnknownMessage(i, f"p-{i}", text, "fallback", float(i)) for i, text in enumerate(said * 2)],
                 demo_bot, MiningConfig(min_cluster_size=2))
    shown = json.dumps([c.to_dict() for c in found], ensure_ascii=False)
    assert "13812345678" not in shown and "13900001111" not in shown and "138****5678" in shown


def test_the_access_log_masks_what_customers_type(caplog):
    from bot.cli.logs import mask_access_log

    mask_access_log()
    with caplog.at_level(logging.INFO, logger="uvicorn.access"):
        logging.getLogger("uvicorn.access").info('%s - "%s %s HTTP/%s" %d', "127.0.0.1", "GET",
                                                 "/api/suggest?q=13812345678", "1.1", 200)
    assert "13812345678" not in caplog.text and "138****5678" in caplog.text
