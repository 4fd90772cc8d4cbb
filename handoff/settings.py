"""config.yml's ``handoff`` section → the rule set and business hours the router uses."""
from __future__ import annotations

from pathlib import Path

from handoff.rules import DEFAULT_RULES_FILE, RuleSet
from handoff.schedule import BusinessHours


def rule_set(config) -> RuleSet:
    """Inline ``rules`` win; else ``rules_file``; else the shipped default rules."""
    if config.rules:
        return RuleSet.parse(list(config.rules), config.groups)
    return RuleSet.from_file(Path(config.rules_file or DEFAULT_RULES_FILE), config.groups)


def business_hours(config) -> BusinessHours:
    hours = config.business_hours
    return BusinessHours.parse(hours.timezone, hours.open, hours.holidays, hours.workdays)
