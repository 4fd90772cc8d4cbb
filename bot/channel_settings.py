"""The messaging channels' settings (``channels`` in config.yml): the WeChat Official Account (公众号).

Secrets may come from the environment instead (FAQBOT_WECHAT_TOKEN, FAQBOT_WECHAT_SECRET,
FAQBOT_WECHAT_AES_KEY: knowledge_base/environment.py), which wins over the file.
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
class ChannelsConfig:
    wechat: WeChatConfig = field(default_factory=WeChatConfig)
