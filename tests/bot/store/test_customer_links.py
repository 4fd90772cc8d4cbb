"""One customer across channels in the store: a WeChat openid linked to the shop's customer id, their
conversations found on every channel, and the link gone with `faqbot forget`."""
from bot.store import ConversationStore
from bot.store.customer_links import CustomerLinks


def test_a_link_gathers_the_customers_conversations_and_forget_removes_it(store_url):
    store = ConversationStore(store_url)
    links = CustomerLinks(store)
    store.receive("web-links", "web", "运费怎么算", customer_id="c-links")
    store.receive("wechat:o-links", "wechat", "发票怎么开", customer_id="o-links")
    assert [c["id"] for c in links.conversations("wechat:o-links")] == ["wechat:o-links"]
    links.link("wechat", "o-links", "c-links")
    assert links.customer_of("wechat", "o-links") == "c-links"
    assert [c["id"] for c in links.conversations("wechat:o-links")] == ["web-links", "wechat:o-links"]
    links.link("wechat", "o-links", "c-links")  # linking again changes nothing
    deleted = store.forget(customer_id="c-links")
    assert deleted["sessions"] == 2 and deleted["customer_links"] == 1
    assert links.customer_of("wechat", "o-links") is None and links.conversations("wechat:o-links") == []



def test_first_contact_resolution_counts_a_repeat_contact_on_another_channel(fresh_store_url):
    """A question asked on the web and again on WeChat the same day is one customer contacting twice: once the
    shop links the WeChat openid to them, the web conversation no longer counts as resolved at first contact."""
    from handoff.report import outcome_report

    store = ConversationStore(fresh_store_url)
    store.receive("web-fcr", "web", "运费怎么算", customer_id="c-fcr")
    store.receive("wechat:o-fcr", "wechat", "运费到底怎么算", customer_id="o-fcr")
    fcr = lambda channel: outcome_report(store, "1d", by="channel")["rows"]  # noqa: E731
    assert {r["key"]: r["first_contact_resolution"] for r in fcr("web")} == {"web": 1.0, "wechat": 1.0}
    CustomerLinks(store).link("wechat", "o-fcr", "c-fcr")
    assert {r["key"]: r["first_contact_resolution"] for r in fcr("web")} == {"web": 0.0, "wechat": 1.0}
