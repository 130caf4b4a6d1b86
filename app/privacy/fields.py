"""Consent purposes and channels, declared once (GraphQL enums, form choices and labels derive)."""

from __future__ import annotations

from app.kit.enums import N_, LabeledEnum


class ConsentPurpose(LabeledEnum):
    MARKETING_SMS = "marketing_sms", N_("Marketing SMS")
    MARKETING_EMAIL = "marketing_email", N_("Marketing email")
    SENSITIVE_DATA = "sensitive_data", N_("Sensitive personal data")
    THIRD_PARTY = "third_party", N_("Sharing with third parties")


class ConsentChannel(LabeledEnum):
    IN_STORE = "in_store", N_("In store, signed")
    PAPER = "paper", N_("Paper form")
    PHONE = "phone", N_("Phone, recorded")
    ONLINE = "online", N_("Online form")
    WECHAT = "wechat", N_("WeChat")
    SMS_REPLY = "sms_reply", N_("SMS reply")


POLICY_VERSION_MAX = 30
