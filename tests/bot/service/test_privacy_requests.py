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


def test_forget_deletes_every_conversation_of_the_customer_and_nothing_else(fresh_store_url, demo_bot):
    service = Conversations.build(demo_bot, ConversationStore(fresh_store_url), HandoffConfig())
    desk = service.desk
    agent = desk.add_agent("wang", "password-1", "小王", "agent", ["general"])
    for session, customer, on_duty in (("f-1", "cust-42", True), ("f-2", "cust-42", False), ("f-3", "cust-7", True)):
        desk.set_status(agent, "online" if on_duty else "away")  # on duty: queued; else a message is left
        reply = service.handle(session, "怎么退货", customer_id=customer)
        service.store.add_feedback(session, reply["message_id"], "helpful", "no")
        service.handle(session, "转人工")
        if not on_duty:
            assert service.handle(session, "请回电 13812345678")["ticket_id"]
    said = len(service.store.history("f-1")) + len(service.store.history("f-2"))
    result = runner.invoke(app, ["forget", "--customer", "cust-42", "--db", fresh_store_url])
    assert result.exit_code == 0, result.output
    deleted = json.loads(result.output)
    # both hand-offs (one queued, one offered a message) and the message left go with their conversations
    assert (deleted["sessions"], deleted["feedback"], deleted["handoffs"], deleted["tickets"]) == (2, 2, 2, 1)
    assert deleted["messages"] == said
    assert service.store.history("f-1") == [] and service.store.session("f-2") is None
    assert desk.tickets("open", ["general"]) == [] and [h["session_id"] for h in desk.queue(["general"])] == ["f-3"]
    assert [m["text"] for m in service.store.history("f-3") if m["sender"] == "customer"] == ["怎么退货", "转人工"]
    assert runner.invoke(app, ["forget", "--db", fresh_store_url]).exit_code == 2


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
