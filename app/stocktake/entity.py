"""Count sheets, declared to the entity kit. Counting is an everyday stock movement's right
(``inventory:create``); approving, which posts adjustments, is ``inventory:manage``."""

from __future__ import annotations

from app.kit.enums import N_
from app.kit.registry import EntitySpec, register
from app.stocktake.fields import CountStatus
from app.stocktake.models import StockCount

STOCK_COUNT = register(
    EntitySpec(
        key="stock_count",
        label=N_("Stock count"),
        plural=N_("Stock counts"),
        module="inventory",
        model=StockCount,
        fields={
            "number": N_("Count number"),
            "warehouse_id": N_("Warehouse"),
            "category_id": N_("Category"),
            "status": N_("Count status"),
            "note": N_("Note"),
            "lines": N_("Counted products"),
            "serial_numbers": N_("Serial numbers"),
            "quantity": N_("Counted quantity"),
        },
        choices={"status": CountStatus},
        errors={
            "not_open": N_("This count is already approved or cancelled."),
            "uncounted_lines": N_("Some products on the sheet are not counted yet."),
            "serial_not_in_warehouse": N_("This serial number is not in this warehouse."),
            "unknown_serial": N_("No unit has this serial number."),
            "not_on_sheet": N_("This product is not in the category being counted."),
            "count_by_serial": N_("Scan the serial numbers of this product instead of typing a quantity."),
            "unknown_category": N_("Choose a category from the list."),
        },
        actions={"count": N_("Count"), "approve": N_("Approve the count")},
        page="/inventory/counts/{id}",
        title=lambda c: c.number,
        staff_fields=("approved_by",),
    )
)
