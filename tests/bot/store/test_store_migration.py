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
    assert store.schema_version == len(schema.MIGRATIONS)
    assert [m["text"] for m in store.history("old")] == ["去年的问题"]
    store.ensure_session("old", "web", customer_id="c-1")
    assert store.session("old")["customer_id"] == "c-1"
    names = set(sqlalchemy.inspect(store.engine).get_table_names())
    assert {"agents", "handoffs", "tickets", "surveys", "webhook_outbox"} <= names
    assert {"kb_entries", "kb_versions", "kb_test_cases", "kb_suggestions", "audit_log"} <= names
    assert {"sign_in_attempts", "signed_calls", "customer_links", "attachments"} <= names
    assert {"desk_notes", "canned_replies", "wrapups", "agent_status_log"} <= names


def test_tickets_left_before_the_desk_keep_their_text_and_join_the_ticket_lifecycle(fresh_store_url, monkeypatch):
    engine = open_engine(fresh_store_url)
    desk_migration = schema.MIGRATIONS.index(schema._v5_desk)
    with monkeypatch.context() as m:
        m.setattr(schema, "MIGRATIONS", schema.MIGRATIONS[:desk_migration])
        migrate(engine)
    with engine.begin() as conn:  # the tickets and agents tables as they were before the desk
        for table, column in [("tickets", c) for c in ("handoff_id", "priority", "due", "contact", "category",
                                                       "updated", "customer_id")] + [("agents", "max_chats")]:
            conn.exec_driver_sql(f"ALTER TABLE {table} DROP COLUMN {column}")
        conn.exec_driver_sql("INSERT INTO sessions VALUES ('old', 'web', 1.0, '{}', NULL)")
        for status in ("open", "done"):
            conn.exec_driver_sql(f"INSERT INTO tickets (session_id, created, \"group\", rule, text, status) "
                                 f"VALUES ('old', 1.0, 'general', 'explicit_request', '请回电', '{status}')")
    store = ConversationStore(fresh_store_url)
    with store.reading() as conn:
        rows = conn.execute(sqlalchemy.select(schema.tickets.c.status, schema.tickets.c.text, schema.tickets.c.due)
                            .order_by(schema.tickets.c.id)).all()
    assert [tuple(r) for r in rows] == [("new", "请回电", None), ("resolved", "请回电", None)]


def test_a_sqlalchemy_style_sqlite_url_opens_that_file_not_a_folder_named_sqlite(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    target = tmp_path / "kept" / "faqbot.db"
    ConversationStore(f"sqlite:///{target}").ensure_session("s", "web")
    assert ConversationStore(str(target)).session("s")["channel"] == "web"
    assert not (tmp_path / "sqlite:").exists()
