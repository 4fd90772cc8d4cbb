"""Bounds on a knowledge-base file before it is read: its size, its rows, and — for Excel, which is
a zip archive — what it unpacks to (a small file that inflates to gigabytes is refused unread); and
on what it holds: how deeply its values nest (deep nesting exhausts the stack of every parser)."""
from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MB = 1024 * 1024


@dataclass(frozen=True)
class ImportLimits:
    max_bytes: int = 20 * MB
    max_rows: int = 200_000
    max_unzipped_bytes: int = 200 * MB
    max_depth: int = 32

    @classmethod
    def from_config(cls, curation) -> "ImportLimits":
        """From ``bot.config.CurationConfig`` (max_import_mb, max_import_rows, max_unzipped_mb)."""
        return cls(curation.max_import_mb * MB, curation.max_import_rows, curation.max_unzipped_mb * MB)

    def file_problem(self, path: Path) -> str:
        """Why ``path`` must not be read, or "" when it may."""
        size = path.stat().st_size
        if size > self.max_bytes:
            return f"the file is {size / MB:.1f} MB; the limit is {self.max_bytes // MB} MB (curation.max_import_mb)"
        if path.suffix.lower() == ".xlsx" and zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                unpacked = sum(member.file_size for member in archive.infolist())
            if unpacked > self.max_unzipped_bytes:
                return (f"the workbook unpacks to {unpacked / MB:.0f} MB; the limit is "
                        f"{self.max_unzipped_bytes // MB} MB (curation.max_unzipped_mb)")
        return ""

    def rows_problem(self, rows: int) -> str:
        return f"{rows} entries; the limit is {self.max_rows} (curation.max_import_rows)" if rows > self.max_rows else ""

    def depth_problem(self, value: Any) -> str:
        """Why ``value`` (parsed from the file) nests too deeply to be used, or "" when it does not."""
        if nesting(value, self.max_depth) > self.max_depth:
            return f"nested deeper than {self.max_depth} levels"
        return ""


def nesting(value: Any, enough: int) -> int:
    """How many lists and mappings deep ``value`` goes (counted without recursion; stops past ``enough``)."""
    deepest = 0
    pending = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, (list, tuple)) else None
        if children is None:
            continue
        deepest = max(deepest, depth)
        if deepest > enough:
            return deepest
        pending.extend((child, depth + 1) for child in children)
    return deepest
