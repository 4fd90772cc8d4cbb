"""The HTTP + WebSocket app: composes the routers of each audience around one conversation service.

Routes translate to library calls; errors map in ``errors``. The customer side is ``customer`` and
``rasa_rest``, the staff side ``agent`` (workspace, dashboard, help-desk integration) and ``trainer``.
"""
from __future__ import annotations

from typing import Callable, Optional

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from bot.action_settings import ActionsConfig
from bot.channel_settings import ChannelsConfig
from bot.config import HandoffConfig, ServerConfig
from bot.engine import Bot
from bot.http.agent import agent_router
from bot.http.answering import AnsweringPool
from bot.http.attachments import UPLOADS, attachments_router
from bot.http.customer import customer_router
from bot.http.desk_assist import assist_router
from bot.http.desk_tickets import tickets_router
from bot.http.demo_orders import demo_orders_router
from bot.http.errors import install_error_handlers
from bot.http.gatekeeper import Gatekeeper
from bot.http.operations import operations_router
from bot.http.pages import pages_router
from bot.http.rasa_rest import rasa_router
from bot.http.request_limits import RequestLimits
from bot.http.schemas import ERROR_RESPONSES
from bot.http.security_headers import SecurityHeaders
from bot.http.supervisor import supervisor_router
from bot.http.trainer import trainer_router
from bot.service.attachments import Attachments
from bot.service.conversations import Conversations
from bot.service.hub import EventHub
from bot.service.live import VERSIONS_TOPIC, LiveVersion
from bot.service.queue_sweeper import QueueSweeper
from bot.service.rate_limit import RateLimiter
from bot.service.relay import RedisRelay, SharedRateLimiter
from bot.store import ConversationStore
from knowledge_base.environment import Environment
from handoff.router import HandoffRouter
from training.workbench import Workbench


def create_app(bot: Bot, store: Optional[ConversationStore] = None, settings: ServerConfig = ServerConfig(),
               handoff: HandoffConfig = HandoffConfig(), workbench: Optional[Workbench] = None,
               serving_version: Optional[int] = None, environment: Optional[Environment] = None,
               actions: Optional[ActionsConfig] = None, channels: ChannelsConfig = ChannelsConfig()) -> FastAPI:
    """The service around ``bot``. With a ``workbench`` (whose store must be ``store``), trainers
    curate and publish at /trainer and the server follows the live version (``bot`` being
    ``serving_version``). ``environment``: the secrets (default: read from this process's); ``actions``:
    the lookups answers may make (default: the workbench's config's)."""
    app = FastAPI(title="faqbot", version=bot.manifest.get("faqbot_version", "0"), responses=ERROR_RESPONSES,
                  description="Customer-service FAQ bot: answer, clarify, fall back or hand off to a person.")
    _middleware(app, settings)
    install_error_handlers(app)
    env = environment or Environment.read(handoff.webhook.secret_env)
    actions = actions or (workbench.config.actions if workbench else ActionsConfig())
    conversations = Conversations.build(bot, store or ConversationStore(), handoff, env.webhook_secret, actions,
                                        env.actions_secret, env.attributes_secret)
    limiter = _limiters(app, conversations.hub, settings.redis_url, settings.redis_prefix)
    app.include_router(agent_router(conversations, handoff, limiter, env.webhook_secret))  # /ws/agent before /ws/{id}
    app.include_router(supervisor_router(conversations, handoff))
    app.include_router(tickets_router(conversations))
    app.include_router(assist_router(conversations, handoff))
    versions = _follow_versions(app, conversations, handoff, workbench, serving_version)
    gate = Gatekeeper(conversations.store, settings, limiter, env.session_secret, env.customer_id_secret)
    answering = AnsweringPool(settings.answering_threads, actions.pool if actions.calls else 0)
    app.include_router(customer_router(conversations, gate, answering, settings, tuple(handoff.groups)))
    app.state.attachments = files = Attachments(conversations, settings.widget)
    app.include_router(attachments_router(files, gate))
    app.include_router(rasa_router(conversations, gate, answering))
    _channels(app, conversations, channels, env, answering)
    app.include_router(pages_router())
    if actions.demo_service:
        app.include_router(demo_orders_router(env.actions_secret))
    app.include_router(operations_router(conversations, versions, settings.metrics_addresses))
    app.state.conversations = conversations
    app.state.server_settings = settings  # the server that runs the app reads its limits (frame size)
    app.state.versions = versions
    sweeper = QueueSweeper(conversations)
    _on_start_and_stop(app, sweeper.start, sweeper.stop)
    if conversations.webhooks.enabled:
        _on_start_and_stop(app, conversations.webhooks.start, conversations.webhooks.stop)
    return app


def _middleware(app: FastAPI, settings: ServerConfig) -> None:
    app.add_middleware(CORSMiddleware, allow_origins=list(settings.cors_origins), allow_methods=["GET", "POST"],
                       allow_headers=["Content-Type", "Authorization", "X-Session-Token"])
    app.add_middleware(SecurityHeaders)
    app.add_middleware(RequestLimits, max_bytes=settings.max_request_bytes, max_json_depth=settings.max_json_depth,
                       own_limits=("/api/trainer/import", UPLOADS))


def _channels(app: FastAPI, conversations: Conversations, channels: ChannelsConfig, env: Environment,
              answering: AnsweringPool) -> None:
    """Messaging channels besides the widget: WeChat, WeCom — each when its token is set (config or environment)."""
    wechat = channels.wechat.with_environment(env.wechat)
    if wechat.enabled:
        from bot.http.wechat import wechat_router
        from bot.service.wechat_channel import WeChatChannel

        channel = WeChatChannel(conversations, wechat, attachments=app.state.attachments)
        app.include_router(wechat_router(channel, wechat, answering))
        app.state.wechat = channel
        _on_start_and_stop(app, lambda: None, channel.close)
    wecom = channels.wecom.with_environment(env.wecom)
    if wecom.enabled:
        from bot.http.wecom import wecom_router
        from bot.service.wecom_channel import WeComChannel

        kf = WeComChannel(conversations, wecom)
        app.include_router(wecom_router(kf, wecom))
        app.state.wecom = kf
        _on_start_and_stop(app, lambda: None, kf.close)


def _follow_versions(app: FastAPI, conversations: Conversations, handoff: HandoffConfig,
                     workbench: Optional[Workbench], serving_version: Optional[int]) -> Optional[LiveVersion]:
    """With a workbench: the trainers' routes, and the live version followed as trainers publish."""
    if workbench is None:
        return None
    switch = lambda new: conversations.switch(new, HandoffRouter.for_bot(handoff, new))  # noqa: E731
    versions = LiveVersion(workbench.publisher, switch, workbench.config.curation.reload_seconds, serving_version)
    conversations.hub.on(VERSIONS_TOPIC, versions.wake)
    app.include_router(trainer_router(conversations, workbench, versions))
    _on_start_and_stop(app, versions.start, versions.stop)
    app.router.on_shutdown.append(workbench.close)
    return versions


def _limiters(app: FastAPI, hub: EventHub, redis_url: Optional[str],
              prefix: str) -> Callable[[str, int], RateLimiter]:
    """With Redis: events relayed between workers and rate limits counted together; else per process."""
    if not redis_url:
        return lambda name, per_minute: RateLimiter(per_minute)
    relay = RedisRelay(redis_url, hub.deliver, prefix)
    hub.relay = relay
    _on_start_and_stop(app, relay.start, relay.stop)
    return lambda name, per_minute: SharedRateLimiter(relay.client, name, per_minute, RateLimiter(per_minute),
                                                      prefix=prefix)


def _on_start_and_stop(app: FastAPI, start, stop) -> None:
    app.router.on_startup.append(start)
    app.router.on_shutdown.append(stop)
