"""The lead's and the pool's enumerations, declared once (GraphQL enums, choices, checks)."""

from __future__ import annotations

from app.kit.enums import N_, LabeledEnum


class LeadStatus(LabeledEnum):
    NEW = "new", N_("New lead")
    CONTACTED = "contacted", N_("Contacted")
    CONVERTED = "converted", N_("Converted")
    DISQUALIFIED = "disqualified", N_("Disqualified")


class LeadSource(LabeledEnum):
    ADMIN = "admin", N_("Entered by staff")
    IMPORT = "import", N_("Imported")
    WEB_FORM = "web_form", N_("Web form")
    API = "api", N_("API")


class RuleStrategy(LabeledEnum):
    """How a matching rule picks among its candidates (a team's members, or all sales staff)."""

    ROUND_ROBIN = "round_robin", N_("Round robin")
    LOAD = "load", N_("Fewest open leads")


# Leads still waiting for work: they count as load and their first-response timer runs.
OPEN_STATUSES = (LeadStatus.NEW.value, LeadStatus.CONTACTED.value)

LIMITS = {"name": 100, "company": 100, "email": 254, "product_category": 60, "message": 2000}
