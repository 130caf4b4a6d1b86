"""The notification centre: every module tells staff about something through ``notify``.

A notification is written in the caller's transaction (the in-app bell reads it at once) together
with one delivery row per other channel the recipient wants (email, and WeCom/DingTalk/SMS when
their adapters are configured): that row is the channel's outbox, which the worker's delivery
sweep sends, so a change and the news of it commit or roll back together.
"""
