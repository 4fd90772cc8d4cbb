"""The one place faqbot reads its own environment variables; everything else gets them typed.

| variable | what it sets |
|---|---|
| ``FAQBOT_CACHE`` | where trained bots, embeddings and built model graphs are cached (default ``~/.cache/faqbot``) |
| ``FAQBOT_SESSION_SECRET`` | the key of customers' conversation tokens (default: a random one kept in the database) |
| ``FAQBOT_WEBHOOK_SECRET`` | the shared secret of signed webhooks and help-desk calls (the variable's name is ``handoff.webhook.secret_env``) |
| ``FAQBOT_ACTIONS_SECRET`` | the key signing calls to the business's own systems (``actions.secret_env``; docs/actions.md) |
| ``FAQBOT_ATTRIBUTES_SECRET`` | the key the host page's backend signs customer attributes with (``actions.attributes_secret_env``) |
| ``FAQBOT_WECHAT_TOKEN``, ``FAQBOT_WECHAT_SECRET``, ``FAQBOT_WECHAT_AES_KEY`` | the WeChat channel's token, AppSecret and EncodingAESKey (over ``channels.wechat``) |
| ``FAQBOT_CUSTOMER_ID_SECRET`` | when set, the widget's ``data-customer-id`` must be signed by the host page with it (bot/http/gatekeeper.py) |
| ``FAQBOT_WECOM_TOKEN``, ``FAQBOT_WECOM_SECRET``, ``FAQBOT_WECOM_AES_KEY`` | the same for WeCom customer service (``channels.wecom``) |

``faqbot`` options read ``FAQBOT_DB`` (``--db``) and ``FAQBOT_REDIS_URL`` (``--redis``) themselves.
Services get these through ``Config.environment`` (bot/config.py), read when the config is loaded.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Optional

WEBHOOK_SECRET_VARIABLE = "FAQBOT_WEBHOOK_SECRET"


@dataclass(frozen=True)
class Environment:
    cache_dir: Path
    session_secret: Optional[str] = None
    webhook_secret: str = ""
    actions_secret: str = ""
    attributes_secret: str = ""
    wechat: tuple = ()  # (name, value) of the WeChat secrets set: token, app_secret, encoding_aes_key
    wecom: tuple = ()  # the same for WeCom: token, secret, encoding_aes_key
    customer_id_secret: str = ""  # the host page signs data-customer-id with it; empty: taken as given

    @classmethod
    def read(cls, webhook_secret_variable: str = WEBHOOK_SECRET_VARIABLE,
             environ: Optional[Mapping[str, str]] = None, actions_secret_variable: str = "FAQBOT_ACTIONS_SECRET",
             attributes_secret_variable: str = "FAQBOT_ATTRIBUTES_SECRET") -> "Environment":
        environ = os.environ if environ is None else environ
        return cls(cache_dir=Path(environ.get("FAQBOT_CACHE") or Path.home() / ".cache" / "faqbot"),
                   session_secret=environ.get("FAQBOT_SESSION_SECRET") or None,
                   webhook_secret=environ.get(webhook_secret_variable, ""),
                   actions_secret=environ.get(actions_secret_variable, ""),
                   attributes_secret=environ.get(attributes_secret_variable, ""),
                   wechat=tuple((name, environ[variable]) for name, variable in WECHAT_VARIABLES if environ.get(variable)),
                   customer_id_secret=environ.get("FAQBOT_CUSTOMER_ID_SECRET", ""),
                   wecom=tuple((name, environ[variable]) for name, variable in WECOM_VARIABLES if environ.get(variable)))


WECHAT_VARIABLES = (("token", "FAQBOT_WECHAT_TOKEN"), ("app_secret", "FAQBOT_WECHAT_SECRET"),
                    ("encoding_aes_key", "FAQBOT_WECHAT_AES_KEY"))
WECOM_VARIABLES = (("token", "FAQBOT_WECOM_TOKEN"), ("secret", "FAQBOT_WECOM_SECRET"),
                   ("encoding_aes_key", "FAQBOT_WECOM_AES_KEY"))


def cache_root() -> Path:
    """Where trained bots, embeddings and built model graphs are cached: $FAQBOT_CACHE or ~/.cache/faqbot."""
    return Environment.read().cache_dir
