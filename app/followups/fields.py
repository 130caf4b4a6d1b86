"""Enumerations of follow-ups, declared once (labels, choices, GraphQL enums and checks derive)."""

from __future__ import annotations

from app.kit.enums import N_, LabeledEnum


class FollowUpChannel(LabeledEnum):
    CALL = "call", N_("Phone call")
    VISIT = "visit", N_("Visit")
    WECHAT = "wechat", N_("WeChat")
    SMS = "sms", N_("SMS")
    EMAIL = "email", N_("Email")
    MEETING = "meeting", N_("Meeting")


class FollowUpOutcome(LabeledEnum):
    REACHED = "reached", N_("Reached")
    NO_ANSWER = "no_answer", N_("No answer")
    INTERESTED = "interested", N_("Interested")
    NOT_INTERESTED = "not_interested", N_("Not interested")
    APPOINTMENT = "appointment", N_("Appointment made")
    DEAL = "deal", N_("Deal closed")
