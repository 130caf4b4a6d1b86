"""Warehouses and stock movements, declared to the entity kit; the inventory permissions."""

from __future__ import annotations

from app.inventory.fields import MovementKind, WarehouseKind
from app.inventory.models import Warehouse
from app.kit.enums import N_
from app.kit.permissions import register_module
from app.kit.registry import EntitySpec, NavItem, register

INVENTORY_READ = "inventory:read"
# Receive, ship, transfer, return, reserve and release: the everyday movements.
INVENTORY_MOVE = "inventory:create"
# Adjustments, thresholds and warehouses themselves.
INVENTORY_MANAGE = "inventory:manage"

MODULE = register_module(
    "inventory",
    N_("Inventory"),
    ("read", "create", "manage"),
    {"create": N_("Move stock"), "manage": N_("Manage stock and warehouses")},
)


WAREHOUSE = register(
    EntitySpec(
        key="warehouse",
        label=N_("Warehouse"),
        plural=N_("Warehouses"),
        module="inventory",
        model=Warehouse,
        fields={
            "code": N_("Warehouse code"),
            "name": N_("Warehouse name"),
            "kind": N_("Warehouse kind"),
            "address": N_("Address"),
            "keeper_id": N_("Keeper"),
        },
        choices={"kind": WarehouseKind},
        errors={
            "duplicate_code": N_("Another warehouse already has this code."),
            "unknown_keeper": N_("Choose a staff member from the list."),
            "has_stock": N_("This warehouse still holds stock; move it out first."),
        },
        page="/inventory/warehouses/{id}",
        nav=NavItem("inventory", N_("Inventory"), "/inventory", INVENTORY_READ, order=35),
        staff_fields=("keeper_id",),
    )
)

# The audit log's name for a batch of ledger lines (one receipt, one transfer...).
STOCK_MOVEMENT = register(
    EntitySpec(
        key="stock_movement",
        label=N_("Stock movement"),
        plural=N_("Stock movements"),
        module="inventory",
        fields={
            "kind": N_("Movement"),
            "product_id": N_("Product"),
            "warehouse_id": N_("Warehouse"),
            "to_warehouse_id": N_("To warehouse"),
            "quantity": N_("Quantity"),
            "serial_numbers": N_("Serial numbers"),
            "reason": N_("Reason"),
            "source": N_("Source document"),
        },
        choices={"kind": MovementKind},
        errors={
            "insufficient_stock": N_("Not enough stock available."),
            "serial_not_in_stock": N_("This serial number is not in stock in this warehouse."),
            "serial_exists": N_("This serial number is already recorded."),
            "serial_not_out": N_("This serial number was not shipped, so it cannot come back."),
            "serial_count": N_("Scan one serial number per unit."),
            "serial_repeated": N_("This serial number was scanned twice."),
            "serials_not_tracked": N_("This product has no serial numbers."),
            "unknown_product": N_("Choose a product from the catalog."),
            "unknown_warehouse": N_("Choose a warehouse from the list."),
            "same_warehouse": N_("Choose a different warehouse to transfer to."),
            "insufficient_reserved": N_("Less than this quantity is reserved."),
        },
        staff_fields=(),
    )
)
