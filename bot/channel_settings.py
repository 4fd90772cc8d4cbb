"""The messaging channels' settings (``channels`` in config.yml): the WeChat Official Account (公众号) and
WeCom customer service (企业微信客服).

Secrets may come from the environment instead (FAQBOT_WECHAT_TOKEN, FAQBOT_WECHAT_SECRET,
FAQBOT_WECHAT_AES_KEY, FAQBOT_WECOM_TOKEN, FAQBOT_WECOM_SECRET, FAQBOT_WECOM_AES_KEY:
knowledge_base/environment.py), which win over the file.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

WECHAT_MODES = ("plain", "aes")


@dataclass(frozen=True)
class WeChatConfig:
    token: str = ""  # the Token set in the 公众号's server configuration; empty: the channel is off
    app_id: str = ""
    app_secret: str = ""  # for the customer-service message API (agent replies after the 5-second window)
    encoding_aes_key: str = ""  # 安全模式 (encrypt_type=aes) messages; empty: plaintext only
    api_base: str = "https://api.weixin.qq.com"  # a stand-in server in tests, a proxy where egress is limited

    @property
    def enabled(self) -> bool:
        return bool(self.token)

    def with_environment(self, secrets: tuple) -> "WeChatConfig":
        """The secrets the environment sets (Environment.wechat) over the file's."""
        return replace(self, **dict(secrets))


@dataclass(frozen=True)
class WeComConfig:
    """WeCom customer service (企业微信客服): always encrypted; messages are fetched with sync_msg after a
    callback, answers and agent replies sent with send_msg."""
    token: str = ""  # the callback's Token; empty: the channel is off
    corp_id: str = ""
    secret: str = ""  # the 微信客服 app's Secret
    encoding_aes_key: str = ""
    api_base: str = "https://qyapi.weixin.qq.com"

    @property
    def enabled(self) -> bool:
        return bool(self.token)

    def with_environment(self, secrets: tuple) -> "WeComConfig":
        return replace(self, **dict(secrets))


@dataclass(frozen=True)
class ChannelsConfig:
    wechat: WeChatConfig = field(default_factory=WeChatConfig)
    wecom: WeComConfig = field(default_factory=WeComConfig)
