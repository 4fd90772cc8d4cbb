"""config.yml's ``handoff`` section → the rule set and business hours the router uses."""
from __future__ import annotations

from pathlib import Path

from bot.config import Config, ConfigError
from handoff.rules import DEFAULT_RULES_FILE, RuleError, RuleSet
from handoff.schedule import BusinessHours, ScheduleError


def checked(config: Config) -> Config:
    """``config`` once its transfer rules and business hours parse: checked when a command or the
    server starts, not when a customer needs them."""
    try:
        rule_set(config.handoff)
        business_hours(config.handoff)
    except (RuleError, ScheduleError) as exc:
        raise ConfigError(str(exc)) from exc
    return config


def rule_set(config) -> RuleSet:
    """Inline ``rules`` win; else ``rules_file``; else the shipped default rules."""
    if config.rules:
        return RuleSet.parse(list(config.rules), config.groups)
    return RuleSet.from_file(Path(config.rules_file or DEFAULT_RULES_FILE), config.groups)


def business_hours(config) -> BusinessHours:
    hours = config.business_hours
    return BusinessHours.parse(hours.timezone, hours.open, hours.holidays, hours.workdays)
