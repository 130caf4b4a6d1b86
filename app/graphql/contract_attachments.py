"""A contract's files through the API (``app.kit.attachments``): what is attached, for a contract the
token's owner can see. The bytes are downloaded in the admin (``/contracts/{id}/files/{index}``)."""

from __future__ import annotations

import strawberry

from app.graphql.kit import KitInfo, query, record_id
from app.opportunities.contracts import ContractService


@strawberry.type(description="A file attached to a contract.")
class ContractAttachment:
    index: int = strawberry.field(
        description="Its position: the admin serves it at /contracts/{id}/files/{index}."
    )
    name: str = strawberry.field(description="The name it was uploaded with.")
    size: int = strawberry.field(description="Bytes.")
    content_type: str


@strawberry.type
class ContractAttachmentQueries:
    @strawberry.field(description="The files attached to a contract you can see, in upload order.")
    async def contract_attachments(self, info: KitInfo, id: strawberry.ID) -> list[ContractAttachment]:
        found = await query(info, lambda s, a: ContractService(s, a).files(record_id(id, "contract")))
        return [
            ContractAttachment(
                index=i,
                name=str(item.get("name") or ""),
                size=int(item.get("size") or 0),
                content_type=str(item.get("type") or "application/octet-stream"),
            )
            for i, item in enumerate(found)
        ]
