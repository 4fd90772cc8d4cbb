"""A WebSocket frame is held to the HTTP body limit (issue 24, finding 13): a 15 MB frame no longer costs the server
a gigabyte; a normal message on a new connection is still answered."""
import json

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from tests.processes import start_worker, stop, write_config

LIMIT = 20_000


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("frames")
    config = write_config(folder, server={"max_request_bytes": LIMIT})
    process, base = start_worker(config, str(folder / "faqbot.sqlite3"), folder / "serve.log")
    yield base.replace("http://", "ws://")
    stop(process)


def test_a_frame_over_the_body_limit_closes_the_socket_with_1009(server):
    with connect(f"{server}/ws/big-frame") as socket:
        socket.send(json.dumps({"text": "啊" * LIMIT}))
        with pytest.raises(ConnectionClosed) as closed:
            socket.recv(timeout=10)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009  # "message too big"


def test_a_message_under_the_limit_is_answered(server):
    with connect(f"{server}/ws/small-frame") as socket:
        socket.send(json.dumps({"text": "怎么退货"}))
        reply = json.loads(socket.recv(timeout=30))
    assert reply["type"] == "bot" and reply["decision"] in ("answer", "clarify")
