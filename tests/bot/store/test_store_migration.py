"""A database written by an earlier faqbot is brought up to date at start, losing nothing."""
import sqlalchemy

from bot.store import ConversationStore, schema
from bot.store.conversation_store import open_engine
from bot.store.schema import migrate


def test_a_version_1_database_keeps_its_conversations_and_gains_the_newer_tables(store_url, monkeypatch):
    engine = open_engine(store_url)
    with monkeypatch.context() as m:
        m.setattr(schema, "MIGRATIONS", schema.MIGRATIONS[:1])
        with engine.begin() as conn:  # the version-1 schema, without the columns added since
            conn.exec_driver_sql("CREATE TABLE sessions (id VARCHAR(128) PRIMARY KEY, channel VARCHAR(32) NOT NULL, "
                                 "created FLOAT NOT NULL, attributes TEXT NOT NULL)")
            conn.exec_driver_sql("CREATE TABLE messages (id INTEGER PRIMARY KEY, session_id VARCHAR(128) NOT NULL "
                                 "REFERENCES sessions(id), created FLOAT NOT NULL, sender VARCHAR(16) NOT NULL, "
                                 "text TEXT NOT NULL, decision VARCHAR(16), entry_id TEXT, options TEXT, "
                                 "confidence FLOAT)")
            conn.exec_driver_sql("CREATE TABLE feedback (id INTEGER PRIMARY KEY, message_id BIGINT NOT NULL, "
                                 "created FLOAT NOT NULL, kind VARCHAR(32) NOT NULL, value TEXT NOT NULL)")
            conn.exec_driver_sql("INSERT INTO sessions VALUES ('old', 'web', 1.0, '{}')")
            conn.exec_driver_sql("INSERT INTO messages (id, session_id, created, sender, text) "
                                 "VALUES (1, 'old', 1.0, 'customer', '去年的问题')")
        assert migrate(engine) == 1
    store = ConversationStore(store_url)
    assert store.schema_version == len(schema.MIGRATIONS) == 5
    assert [m["text"] for m in store.history("old")] == ["去年的问题"]
    store.ensure_session("old", "web", customer_id="c-1")
    assert store.session("old")["customer_id"] == "c-1"
    names = set(sqlalchemy.inspect(store.engine).get_table_names())
    assert {"agents", "handoffs", "tickets", "surveys", "webhook_outbox"} <= names
    assert {"kb_entries", "kb_versions", "kb_test_cases", "kb_suggestions", "audit_log"} <= names
    assert {"sign_in_attempts", "signed_calls", "customer_links"} <= names
