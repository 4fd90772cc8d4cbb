"""Where ActionAskFaqbot finds the faqbot server: environment variables of the action server."""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Mapping, Optional


@dataclass(frozen=True)
class ServerSettings:
    url: str = "http://127.0.0.1:8000"  # FAQBOT_URL: the faqbot server (`faqbot serve`)
    timeout: float = 10.0  # FAQBOT_TIMEOUT: seconds to wait for its reply
    handoff_action: Optional[str] = None  # FAQBOT_HANDOFF_ACTION: run after faqbot hands off (e.g. action_handoff)
    # FAQBOT_UNAVAILABLE_TEXT: said when the faqbot server cannot be reached
    unavailable_text: str = "抱歉，客服系统暂时无法回答，请稍后再试。/ Sorry, we cannot answer right now, please try again later."

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> "ServerSettings":
        default = cls()
        try:
            timeout = float(env.get("FAQBOT_TIMEOUT", default.timeout))
        except ValueError:
            raise ValueError(f"FAQBOT_TIMEOUT must be a number of seconds, got {env['FAQBOT_TIMEOUT']!r}") from None
        return cls(url=env.get("FAQBOT_URL", default.url).rstrip("/"), timeout=timeout,
                   handoff_action=env.get("FAQBOT_HANDOFF_ACTION") or None,
                   unavailable_text=env.get("FAQBOT_UNAVAILABLE_TEXT", default.unavailable_text))
