"""config.yml's ``handoff`` section → the rule set and business hours the router uses."""
from __future__ import annotations

from pathlib import Path

import yaml

from bot.config import Config, ConfigError
from handoff.quality import load_scorecard
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
    _check_supervision(config.handoff)
    return config


def _check_supervision(handoff) -> None:
    """Service-level and complaint groups must be skill groups; the QA scorecard must load; shares are shares."""
    settings, groups = handoff.supervision, set(handoff.groups)
    unknown = sorted({g for g, _ in settings.service_level_seconds} - groups - {"default"})
    if unknown:
        raise ConfigError(f"handoff.supervision.service_level_seconds: {unknown} are not skill groups "
                          f"(handoff.groups: {sorted(groups)}, or default)")
    unknown = sorted(set(settings.complaint_groups) - groups)
    if unknown:
        raise ConfigError(f"handoff.supervision.complaint_groups: {unknown} are not skill groups")
    targets = settings.targets
    for name in ("csat", "service_level", "participation", "abandon_rate"):
        if not 0 <= getattr(targets, name) <= 1:
            raise ConfigError(f"handoff.supervision.targets.{name}: a share from 0 to 1")
    if not 0 <= settings.qa_sample_percent <= 100:
        raise ConfigError("handoff.supervision.qa_sample_percent: from 0 to 100")
    try:
        load_scorecard(settings.qa_scorecard)
    except (OSError, ValueError, yaml.YAMLError) as exc:
        raise ConfigError(f"handoff.supervision.qa_scorecard: {exc}") from exc


def rule_set(config) -> RuleSet:
    """Inline ``rules`` win; else ``rules_file``; else the shipped default rules."""
    if config.rules:
        return RuleSet.parse(list(config.rules), config.groups)
    return RuleSet.from_file(Path(config.rules_file or DEFAULT_RULES_FILE), config.groups)


def business_hours(config) -> BusinessHours:
    hours = config.business_hours
    return BusinessHours.parse(hours.timezone, hours.open, hours.holidays, hours.workdays)
