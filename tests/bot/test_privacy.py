import logging

import pytest

from bot.privacy import MaskingFilter, mask_pii


@pytest.mark.parametrize("raw, hidden, kept", [
    ("我的手机13812345678收不到验证码", "13812345678", "138****5678"),
    ("电话 +86 13912345678", "13912345678", "****5678"),
    ("身份证号110101199003071234", "110101199003071234", "110101********1234"),
    ("身份证 11010119900307123X 丢了", "11010119900307123X", "123X"),
    ("卡号6222 0212 3456 7890 123 扣款两次", "6222 0212 3456 7890 123", "6222 ****"),
    ("退款到6222021234567890", "6222021234567890", "6222 ****"),
    ("发到 zhang.san@example.com 吧", "zhang.san@example.com", "z***@example.com"),
])
def test_personal_data_is_masked(raw, hidden, kept):
    masked = mask_pii(raw)
    assert hidden not in masked and kept in masked


def test_ordinary_numbers_stay(self=None):
    assert mask_pii("订单202611230001满99元包邮，400-600-1234") == "订单202611230001满99元包邮，400-600-1234"


def test_log_records_are_masked(caplog):
    log = logging.getLogger("faqbot.test")
    log.addFilter(MaskingFilter())
    with caplog.at_level(logging.INFO, logger="faqbot.test"):
        log.info("customer said %s", "我的号码是13812345678")
    assert "13812345678" not in caplog.text and "138****5678" in caplog.text
