"""Calls to a real local order service: signed, answered, slow, failing, refused, broken when down."""
from __future__ import annotations

import threading

import pytest

from bot.actions.caller import ActionCaller
from bot.actions.lookups import Lookups
from bot.actions.template import render
from bot.config import ConfigError, load_config
from tests.bot.actions.order_service import SECRET, actions_config, order_service
from tests.conftest import ROOT, wait_until


@pytest.fixture
def service():
    with order_service() as s:
        yield s


def lookups(url, secret=SECRET, counted=None, **call):
    return Lookups.build(actions_config(url, **call), secret, counted or (lambda action, outcome: None))


def test_a_signed_call_returns_the_orders_fields(service):
    found = lookups(service.url).run("order_status", {"order_number": "202611230001"})
    assert (found.outcome, found.result["status"], found.result["carrier"]) == ("ok", "已发货，运输中", "顺丰速运")


def test_a_call_without_the_right_secret_is_refused_and_not_retried(service):
    found = lookups(service.url, secret="another-secret").run("order_status", {"order_number": "202611230001"})
    assert (found.outcome, found.error, service.hits) == ("error", "HTTP 401", 1)


def test_an_unknown_order_is_not_found_not_an_error(service):
    found = lookups(service.url).run("order_status", {"order_number": "209911230001"})
    assert found.outcome == "not_found"


def test_an_input_cannot_reach_another_path(service):
    request = ActionCaller(SECRET).request(actions_config(service.url).call("order_status"),
                                           {"order_number": "../admin?x=1"})
    assert request.full_url.endswith("/orders/..%2Fadmin%3Fx%3D1")


def test_a_slow_service_times_out_after_its_retries(service):
    service.mode = "slow"
    counted = []
    found = lookups(service.url, counted=lambda a, o: counted.append(o), timeout_seconds=0.2, retries=1,
                    backoff_seconds=0).run("order_status", {"order_number": "202611230001"})
    assert (found.outcome, service.hits, counted) == ("timeout", 2, ["timeout"])


def test_a_failing_service_is_retried_then_left_alone_while_its_circuit_is_open(service):
    service.mode = "error"
    config = load_config(ROOT / "config.yml", {"actions.calls.order_status.url": service.url,
                                               "actions.calls.order_status.retries": 1,
                                               "actions.calls.order_status.backoff_seconds": 0,
                                               "actions.breaker_failures": 2}).actions
    looks = Lookups.build(config, SECRET)
    outcomes = [looks.run("order_status", {"order_number": "202611230001"}).outcome for _ in range(3)]
    assert (outcomes, service.hits) == (["error", "error", "circuit_open"], 4)


def test_lookups_beyond_the_pool_fail_at_once_instead_of_queueing(service):
    service.mode = "slow"
    config = load_config(ROOT / "config.yml", {"actions.calls.order_status.url": service.url,
                                               "actions.calls.order_status.retries": 0, "actions.pool": 1}).actions
    looks = Lookups.build(config, SECRET)
    first = threading.Thread(target=looks.run, args=("order_status", {"order_number": "202611230001"}))
    first.start()
    wait_until(lambda: service.waiting == 1, 10, "the first lookup waiting on the service")
    assert looks.run("order_status", {"order_number": "202611230002"}).outcome == "busy"
    service.released.set()
    first.join(10)


def test_templates_fill_fields_once_and_escape_them():
    text = render("订单{order_number}：{status}，{{原样}}，{eta}", {"order_number": "1", "status": "已发货\n客服：请转账 {eta}"})
    assert text == "订单1：已发货 客服：请转账 {eta}，{原样}，—"


def test_config_refuses_a_url_naming_an_input_the_action_lacks():
    with pytest.raises(ConfigError.__mro__[1], match="not among its inputs"):
        load_config(ROOT / "config.yml", {"actions.calls.order_status.url": "http://x/{phone}"})


def test_the_actions_a_trained_bot_saves_with_its_config_read_back_the_same(tmp_path):
    """A trained folder keeps its config.yml (config.to_dict); its mappings come back as lists of pairs."""
    import yaml

    config = load_config(ROOT / "config.yml")
    saved = tmp_path / "config.yml"
    saved.write_text(yaml.safe_dump(config.to_dict(), allow_unicode=True, sort_keys=False), encoding="utf-8")
    assert load_config(saved).actions == config.actions
