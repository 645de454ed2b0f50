"""Bulk imports: Thailand's geography, inspection regions and the Tambon Project Bank.

Every import is all-or-nothing. Each file is read and checked completely in memory first; only
then is anything written, in a few bulk statements inside one transaction. The first bad value
raises :class:`ImportFailed`, whose message names the file, the line (the header is line 1) and
the column, and nothing is written. Re-running an import with the same file changes nothing.
"""

from __future__ import annotations

import csv
import datetime
import io
import logging
import re
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, NoReturn, Protocol

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils.translation import gettext as _

from workflow import access, audit, events
from workflow.audit_actions import AuditAction
from workflow.errors import DomainError
from workflow.models import (
    BANGKOK_PROVINCE_CODE,
    BankEntry,
    Dimension,
    District,
    InspectionRegion,
    Province,
    Subdistrict,
)

logger = logging.getLogger(__name__)

PROVINCES_FILE = "provinces.csv"
DISTRICTS_FILE = "districts.csv"
SUBDISTRICTS_FILE = "sub_districts.csv"

REGION_COLUMNS = ("region_code", "region_name", "province_code")
BANK_COLUMNS = ("code", "subdistrict_code", "title", "description", "dimension", "estimated_budget")
BANK_OPTIONAL_COLUMNS = ("source_year",)

# Buddhist Era years are 543 ahead of the Common Era; anything above this is taken as BE.
BE_THRESHOLD = 2400
BE_OFFSET = 543
EARLIEST_YEAR = 1900

_BATCH_SIZE = 500
_NAME_MAX = 150
_BUDGET_INTEGER_DIGITS = 12  # estimated_budget is Decimal(14, 2)
_AMOUNT = re.compile(r"-?(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.([0-9]+))?")


class ImportFailed(DomainError):
    """A file could not be imported; nothing was written.

    ``file``, ``line`` (1-based, the header is line 1) and ``column`` locate the problem when known.
    """

    def __init__(self, problem: str, *, file: str, line: int | None = None, column: str = "") -> None:
        values = {"file": file, "line": line, "column": column, "problem": problem}
        if line is not None and column:
            message = _("%(file)s line %(line)s, column %(column)s: %(problem)s") % values
        elif line is not None:
            message = _("%(file)s line %(line)s: %(problem)s") % values
        else:
            message = _("%(file)s: %(problem)s") % values
        super().__init__(
            message,
            "import_failed",
            422,
            [{"field": column, "code": "import_failed", "message": problem, "file": file, "line": line}],
        )
        self.file = file
        self.line = line
        self.column = column
        self.problem = problem


class SupportsRead(Protocol):
    def read(self) -> bytes: ...


# ---------------------------------------------------------------------------------------------
# Reading tables
# ---------------------------------------------------------------------------------------------

Record = tuple[int, list[str]]


class _Sheet:
    """The rows of one CSV file or worksheet, with the header checked.

    Columns are matched case-insensitively; every value is a stripped string ("" when empty).
    Rows whose cells are all empty are skipped.
    """

    def __init__(
        self,
        records: Iterable[Record],
        *,
        file: str,
        required: Sequence[str],
        optional: Sequence[str] = (),
        allow_extra: bool = False,
    ) -> None:
        self.file = file
        self._records = iter(records)
        header_line, header = self._header()
        known = {name.lower(): name for name in (*required, *optional)}
        self._positions: dict[str, int] = {}
        for index, cell in enumerate(header):
            label = cell.strip()
            if not label:
                continue
            name = known.get(label.lower())
            if name is None:
                if allow_extra:
                    continue
                self.fail(
                    header_line,
                    label,
                    _("unexpected column; the columns are %(columns)s")
                    % {"columns": ", ".join((*required, *optional))},
                )
            if name in self._positions:
                self.fail(header_line, name, _("the column appears twice"))
            self._positions[name] = index
        for name in required:
            if name not in self._positions:
                self.fail(header_line, name, _("the required column is missing"))
        self.columns = frozenset(self._positions)
        self._width = max((i + 1 for i, cell in enumerate(header) if cell.strip()), default=0)

    def _header(self) -> Record:
        for line, record in self._records:
            if any(cell.strip() for cell in record):
                return line, record
        raise ImportFailed(_("the file is empty; a header line is required"), file=self.file)

    def fail(self, line: int, column: str, problem: str) -> NoReturn:
        raise ImportFailed(problem, file=self.file, line=line, column=column)

    def __iter__(self) -> Iterator[tuple[int, dict[str, str]]]:
        for line, record in self._records:
            if not any(cell.strip() for cell in record):
                continue
            if any(cell.strip() for cell in record[self._width :]):
                raise ImportFailed(
                    _("the row has more values than the header has columns (is a comma missing quotes?)"),
                    file=self.file,
                    line=line,
                )
            yield (
                line,
                {
                    name: record[index].strip() if index < len(record) else ""
                    for name, index in self._positions.items()
                },
            )


def _read_bytes(path: Path, *, file: str) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError as exc:
        raise ImportFailed(_("file not found: %(path)s") % {"path": path}, file=file) from exc
    except OSError as exc:
        raise ImportFailed(
            _("the file cannot be read: %(error)s") % {"error": exc.strerror or exc}, file=file
        ) from exc


def _csv_records(data: bytes, *, file: str) -> list[Record]:
    """Decode UTF-8 (with or without a byte-order mark) and split into (line number, cells)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFailed(
            _('the file is not UTF-8 text; save it as "CSV UTF-8"'),
            file=file,
            line=data.count(b"\n", 0, exc.start) + 1,
        ) from exc
    reader = csv.reader(io.StringIO(text, newline=""))
    records: list[Record] = []
    try:
        for cells in reader:
            records.append((reader.line_num, cells))
    except csv.Error as exc:
        raise ImportFailed(
            _("the CSV cannot be read: %(error)s") % {"error": exc}, file=file, line=reader.line_num
        ) from exc
    return records


def _cell_text(value: Any) -> str:
    """A spreadsheet cell as text; whole numbers lose their ".0", decimals keep their shortest form."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    return str(value)


def _xlsx_records(data: bytes, *, file: str) -> list[Record]:
    """The first worksheet's rows as (row number, cells)."""
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, OSError) as exc:
        raise ImportFailed(_("the file is not a valid XLSX workbook"), file=file) from exc
    try:
        if not workbook.worksheets:
            raise ImportFailed(_("the workbook has no worksheet"), file=file)
        sheet = workbook.worksheets[0]
        return [
            (number, [_cell_text(value) for value in row])
            for number, row in enumerate(sheet.iter_rows(values_only=True), start=1)
        ]
    finally:
        workbook.close()


def _records_for(data: bytes, *, filename: str) -> list[Record]:
    suffix = Path(filename).suffix.lower()
    if suffix == ".csv":
        return _csv_records(data, file=filename)
    if suffix == ".xlsx":
        return _xlsx_records(data, file=filename)
    raise ImportFailed(_("unsupported file type; upload a .csv or .xlsx file"), file=filename)


# ---------------------------------------------------------------------------------------------
# Checking values
# ---------------------------------------------------------------------------------------------


def _required(sheet: _Sheet, line: int, row: dict[str, str], column: str, *, max_length: int) -> str:
    value = row[column]
    if not value:
        sheet.fail(line, column, _("a value is required"))
    return _limited(sheet, line, row, column, max_length=max_length)


def _limited(sheet: _Sheet, line: int, row: dict[str, str], column: str, *, max_length: int) -> str:
    value = row[column]
    if len(value) > max_length:
        sheet.fail(
            line,
            column,
            _("the value is %(length)s characters long; at most %(max)s are allowed")
            % {"length": len(value), "max": max_length},
        )
    return value


def _digits(sheet: _Sheet, line: int, row: dict[str, str], column: str, *, length: int) -> str:
    value = _required(sheet, line, row, column, max_length=10_000)
    if len(value) != length or not value.isascii() or not value.isdigit():
        sheet.fail(
            line, column, _('"%(value)s" is not a %(length)s-digit code') % {"value": value, "length": length}
        )
    return value


def _unique(sheet: _Sheet, line: int, column: str, value: str, seen: dict[str, int]) -> None:
    if value in seen:
        sheet.fail(
            line,
            column,
            _('"%(value)s" already appears on line %(line)s') % {"value": value, "line": seen[value]},
        )
    seen[value] = line


def _budget(sheet: _Sheet, line: int, row: dict[str, str], column: str) -> Decimal:
    text = _required(sheet, line, row, column, max_length=100)
    match = _AMOUNT.fullmatch(text)
    if match is None:
        sheet.fail(
            line, column, _('"%(value)s" is not an amount such as 45000 or 45,000.50') % {"value": text}
        )
    if text.startswith("-"):
        sheet.fail(
            line, column, _('"%(value)s" is negative; the budget cannot be negative') % {"value": text}
        )
    decimals = match.group(1) or ""
    if len(decimals) > 2:
        sheet.fail(line, column, _('"%(value)s" has more than 2 decimal places (satang)') % {"value": text})
    try:
        amount = Decimal(text.replace(",", ""))
    except InvalidOperation:  # pragma: no cover - the pattern above only lets numbers through
        sheet.fail(line, column, _('"%(value)s" is not an amount') % {"value": text})
    if amount >= Decimal(10) ** _BUDGET_INTEGER_DIGITS:
        sheet.fail(
            line,
            column,
            _('"%(value)s" is too large; at most %(digits)s digits before the decimal point')
            % {"value": text, "digits": _BUDGET_INTEGER_DIGITS},
        )
    return amount.quantize(Decimal("0.01"))


def _year(sheet: _Sheet, line: int, row: dict[str, str], column: str) -> int | None:
    text = row[column]
    if not text:
        return None
    if not (len(text) == 4 and text.isascii() and text.isdigit()):
        sheet.fail(
            line,
            column,
            _('"%(value)s" is not a year such as 2567 (Buddhist Era) or 2024') % {"value": text},
        )
    year = int(text)
    if year > BE_THRESHOLD:
        year -= BE_OFFSET
    if year < EARLIEST_YEAR:
        sheet.fail(
            line,
            column,
            _('"%(value)s" is not a year such as 2567 (Buddhist Era) or 2024') % {"value": text},
        )
    return year


def _chunks(values: Sequence[str], size: int = _BATCH_SIZE) -> Iterator[Sequence[str]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


# ---------------------------------------------------------------------------------------------
# Geography
# ---------------------------------------------------------------------------------------------


def _geography_sheet(directory: Path, file: str, required: Sequence[str]) -> _Sheet:
    data = _read_bytes(directory / file, file=file)
    return _Sheet(_csv_records(data, file=file), file=file, required=required, allow_extra=True)


def _read_provinces(directory: Path) -> tuple[list[Province], dict[str, str]]:
    """The provinces, and each file id's province code."""
    sheet = _geography_sheet(
        directory, PROVINCES_FILE, ("PROVINCE_ID", "CODE", "PROVINCE_THAI", "PROVINCE_ENGLISH")
    )
    provinces: list[Province] = []
    code_by_id: dict[str, str] = {}
    ids: dict[str, int] = {}
    codes: dict[str, int] = {}
    for line, row in sheet:
        file_id = _required(sheet, line, row, "PROVINCE_ID", max_length=50)
        _unique(sheet, line, "PROVINCE_ID", file_id, ids)
        code = _digits(sheet, line, row, "CODE", length=2)
        _unique(sheet, line, "CODE", code, codes)
        provinces.append(
            Province(
                code=code,
                name_th=_required(sheet, line, row, "PROVINCE_THAI", max_length=_NAME_MAX),
                name_en=_limited(sheet, line, row, "PROVINCE_ENGLISH", max_length=_NAME_MAX),
            )
        )
        code_by_id[file_id] = code
    return provinces, code_by_id


def _read_districts(directory: Path, province_by_id: dict[str, str]) -> tuple[list[District], dict[str, str]]:
    """The districts, and each file id's district code."""
    sheet = _geography_sheet(
        directory,
        DISTRICTS_FILE,
        ("DISTRICT_ID", "PROVINCE_ID", "DISTRICT_CODE", "DISTRICT_THAI", "DISTRICT_ENGLISH"),
    )
    districts: list[District] = []
    code_by_id: dict[str, str] = {}
    ids: dict[str, int] = {}
    codes: dict[str, int] = {}
    for line, row in sheet:
        file_id = _required(sheet, line, row, "DISTRICT_ID", max_length=50)
        _unique(sheet, line, "DISTRICT_ID", file_id, ids)
        province_id = _required(sheet, line, row, "PROVINCE_ID", max_length=50)
        province_code = province_by_id.get(province_id)
        if province_code is None:
            sheet.fail(line, "PROVINCE_ID", _('unknown province id "%(value)s"') % {"value": province_id})
        code = _digits(sheet, line, row, "DISTRICT_CODE", length=4)
        if not code.startswith(province_code):
            sheet.fail(
                line,
                "DISTRICT_CODE",
                _('"%(code)s" does not start with its province\'s code "%(parent)s"')
                % {"code": code, "parent": province_code},
            )
        _unique(sheet, line, "DISTRICT_CODE", code, codes)
        districts.append(
            District(
                code=code,
                province_id=province_code,
                name_th=_required(sheet, line, row, "DISTRICT_THAI", max_length=_NAME_MAX),
                name_en=_limited(sheet, line, row, "DISTRICT_ENGLISH", max_length=_NAME_MAX),
                # Bangkok's khet are not DOPA districts and do not take part in the programme.
                is_programme_district=province_code != BANGKOK_PROVINCE_CODE,
            )
        )
        code_by_id[file_id] = code
    return districts, code_by_id


def _read_subdistricts(directory: Path, district_by_id: dict[str, str]) -> list[Subdistrict]:
    sheet = _geography_sheet(
        directory,
        SUBDISTRICTS_FILE,
        (
            "SUB_DISTRICT_ID",
            "DISTRICT_ID",
            "SUB_DISTRICT_CODE",
            "SUB_DISTRICT_THAI",
            "SUB_DISTRICT_ENGLISH",
            "POSTAL_CODE",
        ),
    )
    subdistricts: list[Subdistrict] = []
    ids: dict[str, int] = {}
    codes: dict[str, int] = {}
    for line, row in sheet:
        file_id = _required(sheet, line, row, "SUB_DISTRICT_ID", max_length=50)
        _unique(sheet, line, "SUB_DISTRICT_ID", file_id, ids)
        district_id = _required(sheet, line, row, "DISTRICT_ID", max_length=50)
        district_code = district_by_id.get(district_id)
        if district_code is None:
            sheet.fail(line, "DISTRICT_ID", _('unknown district id "%(value)s"') % {"value": district_id})
        code = _digits(sheet, line, row, "SUB_DISTRICT_CODE", length=6)
        if not code.startswith(district_code):
            sheet.fail(
                line,
                "SUB_DISTRICT_CODE",
                _('"%(code)s" does not start with its district\'s code "%(parent)s"')
                % {"code": code, "parent": district_code},
            )
        _unique(sheet, line, "SUB_DISTRICT_CODE", code, codes)
        postal_code = row["POSTAL_CODE"]
        if postal_code and not (len(postal_code) == 5 and postal_code.isascii() and postal_code.isdigit()):
            sheet.fail(
                line, "POSTAL_CODE", _('"%(value)s" is not a 5-digit postal code') % {"value": postal_code}
            )
        subdistricts.append(
            Subdistrict(
                code=code,
                district_id=district_code,
                name_th=_required(sheet, line, row, "SUB_DISTRICT_THAI", max_length=_NAME_MAX),
                name_en=_limited(sheet, line, row, "SUB_DISTRICT_ENGLISH", max_length=_NAME_MAX),
                postal_code=postal_code,
            )
        )
    return subdistricts


def _audit(
    acting_user: AbstractBaseUser, action: AuditAction, object_type: str, payload: dict[str, Any]
) -> None:
    """Record the import in the national audit chain, inside the import's transaction."""
    principal = access.principal_for(acting_user)
    grant = access.admin_grant(principal)
    actor = audit.Actor(
        user=acting_user, role=grant.role if grant else "", area_code=grant.area_code if grant else ""
    )
    events.publish(actor=actor, action=action, object_type=object_type, payload=payload)


@transaction.atomic
def geography_import(*, directory: Path, acting_user: AbstractBaseUser) -> dict[str, int]:
    """Create or update every province, district and subdistrict in the DOPA CSV files in ``directory``.

    Rows are matched by official code; changed names are updated. Nothing is deleted. Returns the
    number of rows of each kind in the files.
    """
    directory = Path(directory)
    provinces, province_by_id = _read_provinces(directory)
    districts, district_by_id = _read_districts(directory, province_by_id)
    subdistricts = _read_subdistricts(directory, district_by_id)

    Province.objects.bulk_create(
        provinces,
        batch_size=_BATCH_SIZE,
        update_conflicts=True,
        unique_fields=["code"],
        update_fields=["name_th", "name_en"],
    )
    District.objects.bulk_create(
        districts,
        batch_size=_BATCH_SIZE,
        update_conflicts=True,
        unique_fields=["code"],
        update_fields=["province", "name_th", "name_en", "is_programme_district"],
    )
    Subdistrict.objects.bulk_create(
        subdistricts,
        batch_size=_BATCH_SIZE,
        update_conflicts=True,
        unique_fields=["code"],
        update_fields=["district", "name_th", "name_en", "postal_code"],
    )
    counts = {"provinces": len(provinces), "districts": len(districts), "subdistricts": len(subdistricts)}
    logger.info("Geography imported from %s by %s: %s", directory, acting_user.get_username(), counts)
    _audit(acting_user, AuditAction.GEOGRAPHY_IMPORT, "geography", {"source": directory.name, **counts})
    return counts


# ---------------------------------------------------------------------------------------------
# Inspection regions
# ---------------------------------------------------------------------------------------------


@transaction.atomic
def regions_import(*, path: Path, acting_user: AbstractBaseUser) -> dict[str, int]:
    """Create or update the inspection regions in a CSV of ``region_code,region_name,province_code``.

    Each region in the file ends up with exactly the file's provinces; regions not in the file are
    left alone. Returns the number of regions, of region-province links in the file, and of links
    added and removed.
    """
    path = Path(path)
    file = path.name
    sheet = _Sheet(_csv_records(_read_bytes(path, file=file), file=file), file=file, required=REGION_COLUMNS)
    known_provinces = set(Province.objects.values_list("code", flat=True))
    names: dict[str, tuple[str, int]] = {}
    wanted: set[tuple[str, str]] = set()
    for line, row in sheet:
        region = _required(sheet, line, row, "region_code", max_length=20)
        name = _required(sheet, line, row, "region_name", max_length=200)
        province = _digits(sheet, line, row, "province_code", length=2)
        if province not in known_provinces:
            sheet.fail(
                line,
                "province_code",
                _('unknown province code "%(value)s"; import the geography first') % {"value": province},
            )
        if region in names and names[region][0] != name:
            sheet.fail(
                line,
                "region_name",
                _('region "%(region)s" is called "%(name)s" on line %(line)s')
                % {"region": region, "name": names[region][0], "line": names[region][1]},
            )
        names.setdefault(region, (name, line))
        wanted.add((region, province))

    InspectionRegion.objects.bulk_create(
        [InspectionRegion(code=code, name=name) for code, (name, _line) in names.items()],
        batch_size=_BATCH_SIZE,
        update_conflicts=True,
        unique_fields=["code"],
        update_fields=["name"],
    )
    membership = InspectionRegion.provinces.through
    current = set(
        membership.objects.filter(inspectionregion_id__in=list(names)).values_list(
            "inspectionregion_id", "province_id"
        )
    )
    removed = current - wanted
    added = wanted - current
    for region in sorted({region for region, _province in removed}):
        membership.objects.filter(
            inspectionregion_id=region,
            province_id__in=[province for r, province in removed if r == region],
        ).delete()
    membership.objects.bulk_create(
        [membership(inspectionregion_id=region, province_id=province) for region, province in sorted(added)],
        batch_size=_BATCH_SIZE,
    )
    counts = {"regions": len(names), "provinces": len(wanted), "added": len(added), "removed": len(removed)}
    logger.info("Inspection regions imported from %s by %s: %s", path, acting_user.get_username(), counts)
    _audit(acting_user, AuditAction.REGIONS_IMPORT, "inspection_region", {"source": path.name, **counts})
    return counts


# ---------------------------------------------------------------------------------------------
# Tambon Project Bank
# ---------------------------------------------------------------------------------------------


def _bank_entries(records: list[Record], *, file: str) -> tuple[list[BankEntry], bool]:
    """The entries in the file, and whether it has a ``source_year`` column."""
    sheet = _Sheet(records, file=file, required=BANK_COLUMNS, optional=BANK_OPTIONAL_COLUMNS)
    has_year = "source_year" in sheet.columns
    known_subdistricts = set(Subdistrict.objects.values_list("code", flat=True))
    dimensions = [choice.value for choice in Dimension]
    entries: list[BankEntry] = []
    codes: dict[str, int] = {}
    for line, row in sheet:
        code = _required(sheet, line, row, "code", max_length=50)
        _unique(sheet, line, "code", code, codes)
        subdistrict = _required(sheet, line, row, "subdistrict_code", max_length=50)
        if subdistrict not in known_subdistricts:
            sheet.fail(
                line, "subdistrict_code", _('unknown subdistrict code "%(value)s"') % {"value": subdistrict}
            )
        title = _required(sheet, line, row, "title", max_length=500)
        dimension = row["dimension"].lower()
        if dimension not in dimensions:
            sheet.fail(
                line,
                "dimension",
                _('unknown dimension "%(value)s"; use one of %(choices)s')
                % {"value": row["dimension"], "choices": ", ".join(dimensions)},
            )
        entries.append(
            BankEntry(
                code=code,
                subdistrict_id=subdistrict,
                title=title,
                description=row["description"],
                dimension=dimension,
                estimated_budget=_budget(sheet, line, row, "estimated_budget"),
                source_year=_year(sheet, line, row, "source_year") if has_year else None,
            )
        )
    return entries, has_year


def _bank_load(data: bytes, *, filename: str, acting_user: AbstractBaseUser) -> dict[str, int]:
    entries, has_year = _bank_entries(_records_for(data, filename=filename), file=filename)
    codes = [entry.code for entry in entries]
    existing: set[str] = set()
    for chunk in _chunks(codes):
        existing.update(BankEntry.objects.filter(code__in=chunk).values_list("code", flat=True))
    update_fields = ["subdistrict", "title", "description", "dimension", "estimated_budget"]
    if has_year:
        # Without the column, years already recorded are kept.
        update_fields.append("source_year")
    BankEntry.objects.bulk_create(
        entries,
        batch_size=_BATCH_SIZE,
        update_conflicts=True,
        unique_fields=["code"],
        update_fields=update_fields,
    )
    counts = {"entries": len(entries), "created": len(entries) - len(existing), "updated": len(existing)}
    logger.info("Project bank imported from %s by %s: %s", filename, acting_user.get_username(), counts)
    _audit(acting_user, AuditAction.BANK_IMPORT, "bank_entry", {"source": filename, **counts})
    return counts


@transaction.atomic
def bank_import(*, path: Path, acting_user: AbstractBaseUser) -> dict[str, int]:
    """Create or update Tambon Project Bank entries, matched by code, from a .csv or .xlsx file.

    Returns the number of entries in the file, how many were new and how many updated.
    """
    path = Path(path)
    return _bank_load(_read_bytes(path, file=path.name), filename=path.name, acting_user=acting_user)


@transaction.atomic
def bank_import_file(
    *, fileobj: SupportsRead, filename: str, acting_user: AbstractBaseUser
) -> dict[str, int]:
    """:func:`bank_import` for an open binary file (an upload); ``filename``'s suffix picks the format."""
    name = Path(filename).name
    try:
        data = fileobj.read()
    except OSError as exc:
        raise ImportFailed(
            _("the file cannot be read: %(error)s") % {"error": exc.strerror or exc}, file=name
        ) from exc
    return _bank_load(data, filename=name, acting_user=acting_user)
