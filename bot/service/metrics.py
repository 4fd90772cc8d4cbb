"""Prometheus metrics at ``/metrics``: traffic, decisions, hand-offs, ratings, queue and agents.

One registry per app (tests and embedders may run several apps in a process). Queue length and
agents online are read from the desk when Prometheus scrapes, so they are right on every worker.
"""
from __future__ import annotations

import re
from typing import Optional

from prometheus_client import CollectorRegistry, Counter, Histogram, disable_created_metrics, generate_latest
from prometheus_client.core import GaugeMetricFamily

CHANNEL = re.compile(r"^[a-z][a-z0-9_-]{0,15}$")
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
disable_created_metrics()  # "_created" timestamps per series only clutter dashboards


class Metrics:
    def __init__(self, desk=None):
        self.registry = CollectorRegistry()
        self.messages = Counter("faqbot_customer_messages", "Customer messages received", ["channel"],
                                registry=self.registry)
        self.replies = Counter("faqbot_bot_replies", "Bot replies by decision", ["decision"], registry=self.registry)
        self.latency = Histogram("faqbot_reply_seconds", "Time the bot took to reply", registry=self.registry,
                                 buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5))
        self.handoffs = Counter("faqbot_handoffs", "Hand-offs by skill group and rule", ["group", "rule", "ticket"],
                                registry=self.registry)
        self.ratings = Counter("faqbot_ratings", "Post-hand-off satisfaction ratings by CSAT score", ["csat"],
                               registry=self.registry)
        self.lookups = Counter("faqbot_lookups", "Lookups in the business's own systems by action and outcome "
                               "(ok, not_found, timeout, error, busy, circuit_open)", ["action", "outcome"],
                               registry=self.registry)
        if desk is not None:
            self.registry.register(_DeskCollector(desk))

    def customer_message(self, channel: str) -> None:
        """Channels are client-chosen text: odd ones share one series instead of creating thousands."""
        self.messages.labels(channel if CHANNEL.match(channel) else "other").inc()

    def bot_reply(self, reply) -> None:
        self.replies.labels(reply.decision).inc()
        self.latency.observe(reply.latency_ms / 1000)

    def handoff(self, routing: dict) -> None:
        self.handoffs.labels(routing["group"], routing["rule"], str(bool(routing["ticket"])).lower()).inc()

    def lookup(self, action: str, outcome: str) -> None:
        self.lookups.labels(action, outcome).inc()

    def rating(self, csat: int) -> None:
        self.ratings.labels(str(csat)).inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)


class _DeskCollector:
    def __init__(self, desk):
        self.desk = desk

    def collect(self, _: Optional[object] = None):
        queue = GaugeMetricFamily("faqbot_queue_length", "Conversations waiting for an agent", labels=["group"])
        online = GaugeMetricFamily("faqbot_agents_online", "Agents online", labels=["group"])
        for group, waiting in self.desk.counts().items():
            queue.add_metric([group], waiting)
            online.add_metric([group], self.desk.online(group))
        yield queue
        yield online

    def describe(self):
        return []
