"""Request and response shapes of ticket attachments."""
from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from hotline.endpoints import SafeStr


class UploadQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    filename: SafeStr | None = Field(None, max_length=255,
                                     description="原文件名（仅用于显示；扩展名按文件内容识别的类型改写）")


class AttachmentOut(BaseModel):
    id: int
    ticket_id: int
    purpose: str = Field(description="intake 登记材料（话务员）/ evidence 办理佐证（承办单位）")
    purpose_label: str
    kind: str = Field(description="photo 照片 / audio 录音 / document 文档")
    kind_label: str
    media_type: str = Field(description="按文件内容（文件头）识别的类型")
    size_bytes: int
    sha256: str = Field(description="文件内容的 SHA-256（十六进制）")
    filename: str
    unit_id: int | None
    uploaded_role: str | None
    created_at: datetime
    url: str


class AttachmentList(BaseModel):
    ticket_id: int
    items: list[AttachmentOut]
