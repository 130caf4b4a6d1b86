"""Webhook endpoints, declared to the entity kit; the integrations permission; the events an
endpoint can pick."""

from __future__ import annotations

from app.erp.models import WebhookEndpoint
from app.kit.enums import N_
from app.kit.permissions import register_module
from app.kit.registry import EntitySpec, register

INTEGRATIONS_MANAGE = "integrations:manage"

MODULE = register_module(
    "integrations", N_("Integrations"), ("manage",), {"manage": N_("Manage webhooks and ERP sync")}
)

# Public event name → label msgid. An endpoint picks some; the relay sends those.
WEBHOOK_EVENTS: dict[str, str] = {
    "customer.created": N_("A customer is created"),
    "order.created": N_("An order is created"),
    "order.approved": N_("An order is approved"),
    "order.shipped": N_("An order is shipped"),
    "order.delivered": N_("An order is delivered"),
    "order.cancelled": N_("An order is cancelled"),
    "order.payment_recorded": N_("A payment is recorded"),
    "stock.low": N_("Stock falls below its threshold"),
    "stock_count.approved": N_("A stock count is approved"),
    "booking.created": N_("A visit is booked"),
    "booking.done": N_("A visit is done"),
    "booking.failed": N_("A visit failed"),
}

WEBHOOK_ENDPOINT = register(
    EntitySpec(
        key="webhook_endpoint",
        label=N_("Webhook"),
        plural=N_("Webhooks"),
        module="integrations",
        model=WebhookEndpoint,
        fields={"name": N_("Name"), "url": N_("URL"), "events": N_("Events"), "active": N_("Active")},
        errors={
            "invalid_url": N_("Enter an http:// or https:// URL."),
            "private_address": N_("This address is private or local; webhooks go to public addresses only."),
            "unknown_host": N_("This host name does not resolve."),
            "unknown_event": N_("Choose events from the list."),
            "not_replayable": N_("Only a delivered or failed delivery can be sent again."),
        },
        actions={"replay": N_("Delivery sent again")},
        staff_fields=(),
    )
)
