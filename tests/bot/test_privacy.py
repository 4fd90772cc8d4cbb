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
    ("手机１３８１２３４５６７８", "１２３４５６７８", "138****5678"),  # full-width, as Chinese IMEs type
    ("卡号6222 0212 3456 7890 123", "0212 3456 7890", "6222 **** **** 0123"),  # 4-4-4-4-3 keeps 8 digits
    ("卡号 6222-0212-3456-7890", "0212-3456", "6222 **** **** 7890"),
    ("身份证 110101 19900307 123X", "19900307", "110101********123X"),
    ("q=%E6%89%8B%E6%9C%BA%E5%8F%B713812345678", "13812345678", "138****5678"),  # encodeURIComponent
    ("q=138%201234%205678", "1234%205678", "138****5678"),
    ("q=zhangsan%40example.com", "zhangsan", "z***@example.com"),
    ("q=%EF%BC%91%EF%BC%93%EF%BC%98%EF%BC%91%EF%BC%92%EF%BC%93%EF%BC%94%EF%BC%95%EF%BC%96%EF%BC%97%EF%BC%98",
     "%EF%BC%95%EF%BC%96", "138****5678"),  # full-width digits, percent-encoded
])
def test_personal_data_is_masked(raw, hidden, kept):
    masked = mask_pii(raw)
    assert hidden not in masked and kept in masked


def test_ordinary_numbers_stay(self=None):
    assert mask_pii("订单202611230001满99元包邮，400-600-1234") == "订单202611230001满99元包邮，400-600-1234"


def test_a_masked_url_keeps_its_shape_and_cannot_forge_a_log_line():
    masked = mask_pii('GET /api/suggest?q=13812345678%0A127.0.0.1%20-%20"GET%20/admin" 200')
    assert "\n" not in masked and "138****5678%0A127.0.0.1" in masked and masked.endswith('" 200')


def test_log_records_are_masked(caplog):
    log = logging.getLogger("faqbot.test")
    log.addFilter(MaskingFilter())
    with caplog.at_level(logging.INFO, logger="faqbot.test"):
        log.info("customer said %s", "我的号码是13812345678")
    assert "13812345678" not in caplog.text and "138****5678" in caplog.text
