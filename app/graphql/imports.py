"""Imports through the API: ``importCustomers`` takes the file as a GraphQL multipart upload and
returns the import job to poll with ``importJob(id)``; ``undoImport`` puts everything back. The
columns are mapped from the headers (or a saved template); rules are the kit importer's."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import Enum
from typing import Annotated, Any

import strawberry
from strawberry.file_uploads import Upload
from strawberry.types import Info

from app.domain import DomainError
from app.graphql.context import GraphQLContext
from app.graphql.errors import NotFoundError, PermissionDeniedError, ValidationError, error_type
from app.graphql.kit import from_record, mutate, read_only_refusal, record_id
from app.kit.imports import run as runs
from app.kit.imports import service as imports

InfoImport = Info[GraphQLContext, None]


@strawberry.enum(description="What to do with a row whose mobile number matches an existing customer.")
class ImportDuplicatePolicy(Enum):
    SKIP = "skip"
    UPDATE = "update"
    CREATE = "create"


@strawberry.type(
    description="One import of a file; poll it with importJob(id) until its status is done or failed."
)
class ImportJob:
    id: strawberry.ID
    file_name: str
    status: str = strawberry.field(description="queued, running, done, failed or undone.")
    policy: str
    rows_total: int | None
    rows_done: int
    created_count: int
    updated_count: int
    skipped_count: int
    rejected_count: int
    columns: list[str | None] = strawberry.field(
        description="The field each column was imported as (null: left out)."
    )
    error: str | None
    created_at: datetime
    finished_at: datetime | None
    undone_at: datetime | None

    @classmethod
    def from_model(cls, batch: Any) -> ImportJob:
        return from_record(cls, batch, file_name=batch.original_name, columns=list(batch.mapping))


@strawberry.type
class ImportJobPayload:
    job: ImportJob


ImportJobResult = Annotated[
    ImportJobPayload | ValidationError | NotFoundError | PermissionDeniedError,
    strawberry.union("ImportJobResult"),
]


@strawberry.type
class ImportQueries:
    @strawberry.field(description="An import you started (administrators: anyone's), or null.")
    async def import_job(self, info: InfoImport, id: strawberry.ID) -> ImportJob | None:
        context = info.context
        try:
            batch_id = uuid.UUID(str(id))
        except ValueError:
            return None
        async with context.db() as session:
            try:
                return ImportJob.from_model(await imports.get_batch(session, context.actor, batch_id))
            except DomainError:
                return None


@strawberry.type
class ImportMutations:
    @strawberry.mutation(
        description="Import customers from a CSV (UTF-8 or GBK) or XLSX file sent as a GraphQL multipart "
        "upload. Columns are matched by their Chinese or English headers (or a saved template) and the "
        "import starts at once in the background; poll importJob(id). Needs customers:import."
    )
    async def import_customers(
        self,
        info: InfoImport,
        file: Upload,
        policy: ImportDuplicatePolicy = ImportDuplicatePolicy.SKIP,
        template_id: strawberry.ID | None = None,
    ) -> ImportJobResult:
        context = info.context
        if refusal := read_only_refusal(context.actor):
            return refusal  # type: ignore[no-any-return]
        schema = context.tenant.schema_name
        async with context.db() as session:
            try:
                template = record_id(template_id, "template") if template_id else None
                name = getattr(file, "filename", None) or "upload.csv"
                source: Any = getattr(file, "file", file)  # Litestar's UploadFile: its spooled file
                batch = await imports.upload(
                    session,
                    context.actor,
                    schema,
                    "customer",
                    name,
                    source,
                    template_id=template,
                    policy=policy.value,
                )
                batch = await imports.start(session, context.actor, batch.id)
            except DomainError as exc:
                await session.rollback()
                failed: Any = error_type(exc, input_prefix=())
                return failed  # type: ignore[no-any-return]
        request: Any = context.request
        await runs.enqueue_import(request.app.state.arq, schema, batch.id)
        return ImportJobPayload(job=ImportJob.from_model(batch))

    @strawberry.mutation(
        description="Undo a finished, failed or stalled import: records it created are removed, records "
        "it updated get every field back; records edited since are left as they are."
    )
    async def undo_import(self, info: InfoImport, id: strawberry.ID) -> ImportJobResult:
        async def verb(session: Any, actor: Any) -> Any:
            return (await runs.undo_import(session, actor, record_id(id, "import"))).batch

        return await mutate(info, verb, lambda batch: ImportJobPayload(job=ImportJob.from_model(batch)))  # type: ignore[no-any-return]


__all__ = ["ImportMutations", "ImportQueries"]
