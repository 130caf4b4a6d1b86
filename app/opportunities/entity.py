"""Opportunities and contracts, declared to the entity kit: labels, pages, navigation, permissions,
and the workflows every tenant starts with: the sales pipeline (初步接洽 → 需求确认 → 方案报价 →
商务谈判 → 赢单 / 输单), each stage with its win probability, and the contract's life (草拟 → 已签订 →
履行中 → 已到期 / 已终止)."""

from __future__ import annotations

from typing import Any

from app.kit.enums import N_
from app.kit.permissions import register_module
from app.kit.registry import EntitySpec, NavItem, register
from app.opportunities.models import Contract, Opportunity

OPPORTUNITIES_READ = "opportunities:read"
# Sets the monthly targets of salespeople and teams (a manager's job).
OPPORTUNITIES_MANAGE = "opportunities:manage"
CONTRACTS_READ = "contracts:read"

MODULE = register_module(
    "opportunities",
    N_("Opportunities"),
    ("read", "create", "edit", "delete", "manage"),
    {"manage": N_("Set sales targets")},
)
CONTRACTS_MODULE = register_module("contracts", N_("Contracts"), ("read", "create", "edit", "delete"))

# (key, zh-CN label, English label, category, win probability %), in order.
STAGES = (
    ("qualify", "初步接洽", "Qualify", "open", 10),
    ("needs", "需求确认", "Needs confirmed", "open", 30),
    ("proposal", "方案报价", "Proposal", "open", 60),
    ("negotiation", "商务谈判", "Negotiation", "open", 80),
    ("won", "赢单", "Won", "won", 100),
    ("lost", "输单", "Lost", "lost", 0),
)
OPEN_STAGES = ("qualify", "needs", "proposal", "negotiation")


def _pipeline_moves() -> list[dict[str, Any]]:
    moves: list[dict[str, Any]] = []
    for i, source in enumerate(OPEN_STAGES):
        for target in OPEN_STAGES:
            if target == source:
                continue
            move: dict[str, Any] = {"from": source, "to": target}
            if OPEN_STAGES.index(target) > i and target in ("proposal", "negotiation"):
                # A proposal names its amount and when the customer means to buy.
                move["guards"] = [
                    {"kind": "condition", "field": "amount", "op": ">", "value": 0},
                    {"kind": "required", "field": "expected_close"},
                ]
            moves.append(move)
        moves.append(
            {
                "from": source,
                "to": "won",
                "guards": [{"kind": "condition", "field": "amount", "op": ">", "value": 0}],
            }
        )
        # A lost deal says why (the reason feeds the loss analysis).
        moves.append({"from": source, "to": "lost", "guards": [{"kind": "required", "field": "lost_reason"}]})
    moves.append({"from": "lost", "to": "qualify"})  # a lost customer comes back
    return moves


def default_pipeline() -> dict[str, Any]:
    """The sales pipeline as a workflow definition document (stages carry their probability)."""
    return {
        "states": [
            {
                "key": key,
                "label": {"zh_CN": zh, "en": en},
                "category": category,
                "position": i,
                "probability": probability,
            }
            for i, (key, zh, en, category, probability) in enumerate(STAGES)
        ],
        "transitions": _pipeline_moves(),
    }


CONTRACT_STATES = (
    ("draft", "草拟", "Draft", "open"),
    ("signed", "已签订", "Signed", "open"),
    ("active", "履行中", "In force", "open"),
    ("expired", "已到期", "Expired", "done"),
    ("terminated", "已终止", "Terminated", "cancelled"),
)
CONTRACT_MOVES = (
    ("draft", "signed"),
    ("draft", "terminated"),
    ("signed", "active"),
    ("signed", "terminated"),
    ("active", "expired"),
    ("active", "terminated"),
)


def default_contract_workflow() -> dict[str, Any]:
    return {
        "states": [
            {"key": key, "label": {"zh_CN": zh, "en": en}, "category": category, "position": i}
            for i, (key, zh, en, category) in enumerate(CONTRACT_STATES)
        ],
        "transitions": [
            {
                "from": a,
                "to": b,
                **({"guards": [{"kind": "required", "field": "signed_on"}]} if b == "signed" else {}),
            }
            for a, b in CONTRACT_MOVES
        ],
    }


OPPORTUNITY = register(
    EntitySpec(
        key="opportunity",
        label=N_("Opportunity"),
        plural=N_("Opportunities"),
        module="opportunities",
        model=Opportunity,
        fields={
            "name": N_("Opportunity name"),
            "customer_id": N_("Customer"),
            "stage": N_("Stage"),
            "pipeline": N_("Pipeline"),
            "amount": N_("Amount"),
            "expected_close": N_("Expected close date"),
            "probability": N_("Win probability"),
            "competitor": N_("Competitor"),
            "lost_reason": N_("Lost reason"),
            "products": N_("Products of interest"),
            "note": N_("Note"),
            "owner_id": N_("Salesperson"),
        },
        errors={
            "unknown_customer": N_("Choose a customer you can see."),
            "unknown_product": N_("Choose a product from the catalog."),
            "already_converted": N_("This opportunity already has an order."),
            "not_won": N_("Only a won opportunity becomes an order."),
            "unknown_pipeline": N_("Choose one of the pipelines."),
            "archived_pipeline": N_("This pipeline is archived: choose another one."),
        },
        actions={"convert": N_("Create an order"), "change_pipeline": N_("Move to another pipeline")},
        page="/opportunities/{id}",
        nav=NavItem("opportunities", N_("Opportunities"), "/opportunities", OPPORTUNITIES_READ, order=22),
        customizable=True,
        workflow_field="stage",
        default_workflow=default_pipeline,
        workflow_key_field="pipeline",
    )
)

CONTRACT = register(
    EntitySpec(
        key="contract",
        label=N_("Contract"),
        plural=N_("Contracts"),
        module="contracts",
        model=Contract,
        fields={
            "number": N_("Contract number"),
            "title": N_("Contract title"),
            "customer_id": N_("Customer"),
            "opportunity_id": N_("Opportunity"),
            "order_id": N_("Order"),
            "status": N_("Contract status"),
            "amount": N_("Contract amount"),
            "signed_on": N_("Signed on"),
            "starts_on": N_("Starts on"),
            "ends_on": N_("Ends on"),
            "note": N_("Note"),
            "owner_id": N_("Salesperson"),
            "attachments": N_("Attachments"),
            "notice_days": N_("Notice days before the end"),
        },
        errors={
            "unknown_customer": N_("Choose a customer you can see."),
            "unknown_opportunity": N_("Choose an opportunity of this customer."),
            "unknown_order": N_("Choose an order of this customer."),
            "ends_before_start": N_("A contract cannot end before it starts."),
            "duplicate_number": N_("Another contract has this number."),
            "out_of_range": N_("The amount cannot be negative (at most 9,999,999,999.99)."),
            "invalid_amount": N_("Enter an amount in yuan, such as 3999.00."),
            "too_many_files": N_("At most 10 files can be attached to a contract."),
            "file_too_large": N_("A file can be at most 20 MB."),
            "empty_file": N_("The file is empty."),
            "no_file": N_("Choose a file to upload."),
            "bad_notice_days": N_("Each notice period is a number of days from 1 to 365."),
            "notice_days_count": N_("Give one to three notice periods, such as 30, 7."),
            "notice_days_repeated": N_("Give each notice period once."),
        },
        page="/contracts/{id}",
        nav=NavItem("contracts", N_("Contracts"), "/contracts", CONTRACTS_READ, order=27),
        customizable=True,
        workflow_field="status",
        default_workflow=default_contract_workflow,
        title=lambda c: f"{c.number} {c.title}",
    )
)
