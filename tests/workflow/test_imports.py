"""Imports of the geography, inspection regions and the Tambon Project Bank, and their commands."""

from __future__ import annotations

import csv
import io
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation
from openpyxl import Workbook

from workflow.importers import (
    ImportFailed,
    bank_import,
    bank_import_file,
    geography_import,
    regions_import,
)
from workflow.models import BankEntry, District, InspectionRegion, Province, Subdistrict
from workflow.services.system import system_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english() -> Any:
    # Messages are asserted in their English source form whatever translations exist.
    with translation.override("en"):
        yield


@pytest.fixture
def actor() -> User:
    return User.objects.create(username="importer")


@pytest.fixture
def thai_admin_dir() -> Path:
    directory = Path(settings.THAI_ADMIN_DATA_DIR)
    if not (directory / "sub_districts.csv").is_file():
        pytest.fail(
            f"The Thai administrative data is missing from {directory}: it ships in data/thai-admin/ "
            "(or set THAI_ADMIN_DATA_DIR to the directory holding provinces.csv, districts.csv and "
            "sub_districts.csv)."
        )
    return directory


def db_snapshot() -> dict[str, Any]:
    return {
        "provinces": list(Province.objects.values_list("code", "name_th", "name_en")),
        "districts": list(
            District.objects.values_list("code", "province_id", "name_th", "name_en", "is_programme_district")
        ),
        "subdistricts": list(
            Subdistrict.objects.values_list("code", "district_id", "name_th", "name_en", "postal_code")
        ),
    }


# ---------------------------------------------------------------------------------------------
# Small geography files in the shipped data's format
# ---------------------------------------------------------------------------------------------

STAMP = "2024-10-25 00:52:08.000"
PROVINCE_HEADER = ["PROVINCE_ID", "CODE", "PROVINCE_THAI", "PROVINCE_ENGLISH", "UPDATED_AT", "CREATED_AT"]
DISTRICT_HEADER = [
    "DISTRICT_ID",
    "PROVINCE_ID",
    "CODE",
    "DISTRICT_CODE",
    "DISTRICT_THAI",
    "DISTRICT_ENGLISH",
    "UPDATED_AT",
    "CREATED_AT",
]
SUBDISTRICT_HEADER = [
    "SUB_DISTRICT_ID",
    "DISTRICT_ID",
    "CODE",
    "SUB_DISTRICT_CODE",
    "SUB_DISTRICT_THAI",
    "SUB_DISTRICT_ENGLISH",
    "LATITUDE",
    "LONGITUDE",
    "POSTAL_CODE",
    "UPDATED_AT",
    "CREATED_AT",
]


def mini_geography() -> dict[str, list[dict[str, str]]]:
    """Bangkok with two khet and Chiang Mai with two amphoe, one subdistrict each."""
    return {
        "provinces.csv": [
            {
                "PROVINCE_ID": "1",
                "CODE": "10",
                "PROVINCE_THAI": "กรุงเทพมหานคร",
                "PROVINCE_ENGLISH": "Bangkok",
            },
            {"PROVINCE_ID": "38", "CODE": "50", "PROVINCE_THAI": "เชียงใหม่", "PROVINCE_ENGLISH": "Chiang Mai"},
        ],
        "districts.csv": [
            {"DISTRICT_ID": "1", "PROVINCE_ID": "1", "CODE": "01", "DISTRICT_CODE": "1001"},
            {"DISTRICT_ID": "2", "PROVINCE_ID": "1", "CODE": "02", "DISTRICT_CODE": "1002"},
            {"DISTRICT_ID": "500", "PROVINCE_ID": "38", "CODE": "01", "DISTRICT_CODE": "5001"},
            {"DISTRICT_ID": "501", "PROVINCE_ID": "38", "CODE": "02", "DISTRICT_CODE": "5002"},
        ],
        "sub_districts.csv": [
            {
                "SUB_DISTRICT_ID": "1",
                "DISTRICT_ID": "1",
                "SUB_DISTRICT_CODE": "100101",
                "POSTAL_CODE": "10200",
            },
            {
                "SUB_DISTRICT_ID": "2",
                "DISTRICT_ID": "2",
                "SUB_DISTRICT_CODE": "100201",
                "POSTAL_CODE": "10300",
            },
            {
                "SUB_DISTRICT_ID": "3",
                "DISTRICT_ID": "500",
                "SUB_DISTRICT_CODE": "500101",
                "POSTAL_CODE": "50200",
            },
            {
                "SUB_DISTRICT_ID": "4",
                "DISTRICT_ID": "501",
                "SUB_DISTRICT_CODE": "500201",
                "POSTAL_CODE": "50160",
            },
        ],
    }


DISTRICT_NAMES = {
    "1001": ("พระนคร", "Phra Nakhon"),
    "1002": ("ดุสิต", "Dusit"),
    "5001": ("เมืองเชียงใหม่", "Mueang Chiang Mai"),
    "5002": ("จอมทอง", "Chom Thong"),
}
SUBDISTRICT_NAMES = {
    "100101": ("พระบรมมหาราชวัง", "Phra Borom Maha Ratchawang"),
    "100201": ("ดุสิต", "Dusit"),
    "500101": ("ศรีภูมิ", "Si Phum"),
    "500201": ("บ้านหลวง", "Ban Luang"),
}


def write_geography(directory: Path, data: dict[str, list[dict[str, str]]]) -> Path:
    """Write the three files like the shipped data: quoted codes, extra columns, a BOM on one file."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, header in (
        ("provinces.csv", PROVINCE_HEADER),
        ("districts.csv", DISTRICT_HEADER),
        ("sub_districts.csv", SUBDISTRICT_HEADER),
    ):
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=header, lineterminator="\n", extrasaction="ignore")
        writer.writeheader()
        for row in data[name]:
            full = {"UPDATED_AT": STAMP, "CREATED_AT": STAMP, "LATITUDE": "18.79", "LONGITUDE": "98.98"}
            if name == "districts.csv":
                th, en = DISTRICT_NAMES.get(row["DISTRICT_CODE"], ("อำเภอ", "Amphoe"))
                full |= {"DISTRICT_THAI": th, "DISTRICT_ENGLISH": en}
            if name == "sub_districts.csv":
                th, en = SUBDISTRICT_NAMES.get(row["SUB_DISTRICT_CODE"], ("ตำบล", "Tambon"))
                full |= {
                    "CODE": row["SUB_DISTRICT_CODE"][-2:],
                    "SUB_DISTRICT_THAI": th,
                    "SUB_DISTRICT_ENGLISH": en,
                }
            writer.writerow(full | row)
        encoding = "utf-8-sig" if name == "districts.csv" else "utf-8"
        (directory / name).write_text(out.getvalue(), encoding=encoding)
    return directory


@pytest.fixture
def geo_dir(tmp_path: Path) -> Path:
    return write_geography(tmp_path / "geo", mini_geography())


# ---------------------------------------------------------------------------------------------
# The whole country
# ---------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_whole_country_imports_with_exact_counts_and_twice_changes_nothing(
    thai_admin_dir: Path, actor: User
) -> None:
    started = time.perf_counter()
    counts = geography_import(directory=thai_admin_dir, acting_user=actor)
    elapsed = time.perf_counter() - started

    assert counts == {"provinces": 77, "districts": 928, "subdistricts": 7436}
    assert Province.objects.count() == 77
    assert District.objects.count() == 928
    assert Subdistrict.objects.count() == 7436
    assert elapsed < 10, f"the whole country took {elapsed:.1f} s to import"

    bangkok_khet = District.objects.filter(province_id="10")
    assert bangkok_khet.count() == 50
    assert not bangkok_khet.filter(is_programme_district=True).exists()
    assert District.objects.programme().count() == 878
    assert not District.objects.programme().filter(province_id="10").exists()

    assert Province.objects.get(code="10").name_en == "Bangkok"
    assert Province.objects.get(code="50").name_en == "Chiang Mai"
    phra_borom = Subdistrict.objects.select_related("district__province").get(code="100101")
    assert (phra_borom.name_en, phra_borom.postal_code) == ("Phra Borom Maha Ratchawang", "10200")
    assert phra_borom.district.code == "1001"
    assert phra_borom.district.province.code == "10"
    # Every district and subdistrict sits under the parent its code says.
    assert all(d.code.startswith(d.province_id) for d in District.objects.all())
    assert all(s.code.startswith(s.district_id) for s in Subdistrict.objects.all())

    before = db_snapshot()
    again = geography_import(directory=thai_admin_dir, acting_user=actor)
    assert again == counts
    assert db_snapshot() == before


# ---------------------------------------------------------------------------------------------
# Geography on small files
# ---------------------------------------------------------------------------------------------


def test_geography_loads_codes_names_links_and_bangkok_flag(geo_dir: Path, actor: User) -> None:
    counts = geography_import(directory=geo_dir, acting_user=actor)

    assert counts == {"provinces": 2, "districts": 4, "subdistricts": 4}
    assert list(Province.objects.values_list("code", "name_th", "name_en")) == [
        ("10", "กรุงเทพมหานคร", "Bangkok"),
        ("50", "เชียงใหม่", "Chiang Mai"),
    ]
    # The districts file starts with a byte-order mark; its first column is still read.
    assert list(District.objects.values_list("code", "province_id", "name_en", "is_programme_district")) == [
        ("1001", "10", "Phra Nakhon", False),
        ("1002", "10", "Dusit", False),
        ("5001", "50", "Mueang Chiang Mai", True),
        ("5002", "50", "Chom Thong", True),
    ]
    assert list(Subdistrict.objects.values_list("code", "district_id", "name_th", "postal_code")) == [
        ("100101", "1001", "พระบรมมหาราชวัง", "10200"),
        ("100201", "1002", "ดุสิต", "10300"),
        ("500101", "5001", "ศรีภูมิ", "50200"),
        ("500201", "5002", "บ้านหลวง", "50160"),
    ]


def test_geography_reimport_updates_changed_names_without_duplicates(
    tmp_path: Path, geo_dir: Path, actor: User
) -> None:
    geography_import(directory=geo_dir, acting_user=actor)
    data = mini_geography()
    data["provinces.csv"][1]["PROVINCE_ENGLISH"] = "Chiang Mai Province"
    data["provinces.csv"][1]["PROVINCE_THAI"] = "จังหวัดเชียงใหม่"
    data["sub_districts.csv"][3]["POSTAL_CODE"] = "50161"
    changed = write_geography(tmp_path / "changed", data)

    counts = geography_import(directory=changed, acting_user=actor)

    assert counts == {"provinces": 2, "districts": 4, "subdistricts": 4}
    assert (Province.objects.count(), District.objects.count(), Subdistrict.objects.count()) == (2, 4, 4)
    chiang_mai = Province.objects.get(code="50")
    assert (chiang_mai.name_th, chiang_mai.name_en) == ("จังหวัดเชียงใหม่", "Chiang Mai Province")
    assert Province.objects.get(code="10").name_en == "Bangkok"
    assert Subdistrict.objects.get(code="500201").postal_code == "50161"


BAD_GEOGRAPHY_ROWS = [
    (
        "districts.csv",
        2,
        {"PROVINCE_ID": "99"},
        'districts.csv line 4, column PROVINCE_ID: unknown province id "99"',
    ),
    (
        "sub_districts.csv",
        0,
        {"DISTRICT_ID": "777"},
        'sub_districts.csv line 2, column DISTRICT_ID: unknown district id "777"',
    ),
    (
        "sub_districts.csv",
        3,
        {"SUB_DISTRICT_CODE": "500301"},
        "sub_districts.csv line 5, column SUB_DISTRICT_CODE: "
        '"500301" does not start with its district\'s code "5002"',
    ),
    (
        "districts.csv",
        3,
        {"DISTRICT_CODE": "1003"},
        'districts.csv line 5, column DISTRICT_CODE: "1003" does not start with its province\'s code "50"',
    ),
    (
        "districts.csv",
        1,
        {"DISTRICT_CODE": "102"},
        'districts.csv line 3, column DISTRICT_CODE: "102" is not a 4-digit code',
    ),
    (
        "provinces.csv",
        0,
        {"CODE": "1O"},
        'provinces.csv line 2, column CODE: "1O" is not a 2-digit code',
    ),
    (
        "sub_districts.csv",
        2,
        {"SUB_DISTRICT_CODE": "5001011"},
        'sub_districts.csv line 4, column SUB_DISTRICT_CODE: "5001011" is not a 6-digit code',
    ),
    (
        "districts.csv",
        3,
        {"DISTRICT_CODE": "5001"},
        'districts.csv line 5, column DISTRICT_CODE: "5001" already appears on line 4',
    ),
    (
        "provinces.csv",
        1,
        {"PROVINCE_THAI": "  "},
        "provinces.csv line 3, column PROVINCE_THAI: a value is required",
    ),
    (
        "sub_districts.csv",
        3,
        {"POSTAL_CODE": "5016"},
        'sub_districts.csv line 5, column POSTAL_CODE: "5016" is not a 5-digit postal code',
    ),
]


@pytest.mark.parametrize(("file", "index", "change", "message"), BAD_GEOGRAPHY_ROWS)
def test_geography_bad_row_names_file_line_column_and_writes_nothing(
    tmp_path: Path, actor: User, file: str, index: int, change: dict[str, str], message: str
) -> None:
    data = mini_geography()
    data[file][index] |= change
    directory = write_geography(tmp_path / "bad", data)

    with pytest.raises(ImportFailed) as failure:
        geography_import(directory=directory, acting_user=actor)

    assert str(failure.value) == message
    assert failure.value.code == "import_failed"
    assert failure.value.status == 422
    assert (Province.objects.count(), District.objects.count(), Subdistrict.objects.count()) == (0, 0, 0)


def test_geography_bad_row_keeps_earlier_import_untouched(tmp_path: Path, geo_dir: Path, actor: User) -> None:
    geography_import(directory=geo_dir, acting_user=actor)
    before = db_snapshot()
    data = mini_geography()
    data["provinces.csv"][0]["PROVINCE_ENGLISH"] = "Krung Thep"  # a good change in an earlier file ...
    data["districts.csv"].append(
        {
            "DISTRICT_ID": "502",
            "PROVINCE_ID": "38",
            "CODE": "03",
            "DISTRICT_CODE": "5003",
        }  # ... a new row ...
    )
    data["sub_districts.csv"][3]["DISTRICT_ID"] = "9999"  # ... and a bad row at the very end.
    directory = write_geography(tmp_path / "bad", data)

    with pytest.raises(ImportFailed, match=r"^sub_districts\.csv line 5, column DISTRICT_ID: "):
        geography_import(directory=directory, acting_user=actor)

    assert db_snapshot() == before


def test_geography_missing_column_and_missing_file_are_named(tmp_path: Path, actor: User) -> None:
    directory = write_geography(tmp_path / "geo", mini_geography())
    header, rest = (directory / "districts.csv").read_text(encoding="utf-8-sig").split("\n", 1)
    (directory / "districts.csv").write_text(
        header.replace("PROVINCE_ID", "PROV_ID") + "\n" + rest, encoding="utf-8"
    )
    with pytest.raises(ImportFailed) as failure:
        geography_import(directory=directory, acting_user=actor)
    assert str(failure.value) == "districts.csv line 1, column PROVINCE_ID: the required column is missing"

    (directory / "provinces.csv").unlink()
    with pytest.raises(ImportFailed, match=r"^provinces\.csv: file not found"):
        geography_import(directory=directory, acting_user=actor)
    assert Province.objects.count() == 0


def test_geography_non_utf8_file_is_rejected_with_its_line(tmp_path: Path, actor: User) -> None:
    directory = write_geography(tmp_path / "geo", mini_geography())
    text = (directory / "provinces.csv").read_text(encoding="utf-8")
    (directory / "provinces.csv").write_bytes(text.encode("cp874"))  # Thai Windows code page
    with pytest.raises(ImportFailed) as failure:
        geography_import(directory=directory, acting_user=actor)
    assert str(failure.value) == 'provinces.csv line 2: the file is not UTF-8 text; save it as "CSV UTF-8"'


# ---------------------------------------------------------------------------------------------
# Inspection regions
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def provinces() -> None:
    Province.objects.bulk_create(
        [
            Province(code="10", name_th="กรุงเทพมหานคร"),
            Province(code="50", name_th="เชียงใหม่"),
            Province(code="51", name_th="ลำพูน"),
            Province(code="52", name_th="ลำปาง"),
        ]
    )


def write_text(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def region_provinces() -> dict[str, tuple[str, list[str]]]:
    return {
        region.code: (region.name, sorted(region.provinces.values_list("code", flat=True)))
        for region in InspectionRegion.objects.all()
    }


@pytest.mark.usefixtures("provinces")
def test_regions_import_then_replace_a_regions_provinces(tmp_path: Path, actor: User) -> None:
    first = write_text(
        tmp_path / "regions.csv",
        "region_code,region_name,province_code\n"
        "R15,เขตตรวจราชการที่ 15,50\n"
        "R15,เขตตรวจราชการที่ 15,51\n"
        "R0,กรุงเทพมหานคร,10\n",
    )
    counts = regions_import(path=first, acting_user=actor)
    assert counts == {"regions": 2, "provinces": 3, "added": 3, "removed": 0}
    assert region_provinces() == {
        "R0": ("กรุงเทพมหานคร", ["10"]),
        "R15": ("เขตตรวจราชการที่ 15", ["50", "51"]),
    }

    # Running the same file again changes nothing.
    assert regions_import(path=first, acting_user=actor) == {
        "regions": 2,
        "provinces": 3,
        "added": 0,
        "removed": 0,
    }

    second = write_text(
        tmp_path / "regions2.csv",
        "region_code,region_name,province_code\n"
        "R15,เขตตรวจราชการที่ 15 (ใหม่),51\n"
        "R15,เขตตรวจราชการที่ 15 (ใหม่),52\n",
    )
    counts = regions_import(path=second, acting_user=actor)
    assert counts == {"regions": 1, "provinces": 2, "added": 1, "removed": 1}
    assert region_provinces() == {
        "R0": ("กรุงเทพมหานคร", ["10"]),  # not in the file: left alone
        "R15": ("เขตตรวจราชการที่ 15 (ใหม่)", ["51", "52"]),  # exactly the file's set
    }


@pytest.mark.usefixtures("provinces")
@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (
            "R15,Region 15,50\nR15,Region 15,99\n",
            "regions.csv line 3, column province_code: "
            'unknown province code "99"; import the geography first',
        ),
        (
            "R15,Region 15,50\nR15,Region Fifteen,51\n",
            'regions.csv line 3, column region_name: region "R15" is called "Region 15" on line 2',
        ),
        ("R15,Region 15,50\n,Region 16,52\n", "regions.csv line 3, column region_code: a value is required"),
    ],
)
def test_regions_bad_row_names_line_and_column_and_changes_nothing(
    tmp_path: Path, actor: User, rows: str, message: str
) -> None:
    regions_import(
        path=write_text(tmp_path / "start.csv", "region_code,region_name,province_code\nR15,Old name,51\n"),
        acting_user=actor,
    )
    bad = write_text(tmp_path / "regions.csv", "region_code,region_name,province_code\n" + rows)

    with pytest.raises(ImportFailed) as failure:
        regions_import(path=bad, acting_user=actor)

    assert str(failure.value) == message
    assert region_provinces() == {"R15": ("Old name", ["51"])}


# ---------------------------------------------------------------------------------------------
# Tambon Project Bank
# ---------------------------------------------------------------------------------------------

BANK_HEADER = "code,subdistrict_code,title,description,dimension,estimated_budget,source_year\n"


@pytest.fixture
def subdistricts() -> None:
    Province.objects.create(code="50", name_th="เชียงใหม่")
    District.objects.create(code="5001", province_id="50", name_th="เมืองเชียงใหม่")
    Subdistrict.objects.bulk_create(
        [
            Subdistrict(code="500101", district_id="5001", name_th="ศรีภูมิ"),
            Subdistrict(code="500102", district_id="5001", name_th="พระสิงห์"),
        ]
    )


def bank_rows() -> list[tuple[Any, ...]]:
    return list(
        BankEntry.objects.values_list(
            "code", "subdistrict_id", "title", "description", "dimension", "estimated_budget", "source_year"
        )
    )


@pytest.mark.usefixtures("subdistricts")
def test_bank_csv_imports_then_reimport_updates(tmp_path: Path, actor: User) -> None:
    path = write_text(
        tmp_path / "bank.csv",
        BANK_HEADER + 'B-001,500101,ถนนคอนกรีตเสริมเหล็ก,ซ่อมถนนหมู่ 3,economy,"45,000.50",2567\n'
        "B-002,500102,ขุดลอกคลอง,,Environment,120000,2023\n",
    )
    counts = bank_import(path=path, acting_user=actor)

    assert counts == {"entries": 2, "created": 2, "updated": 0}
    assert bank_rows() == [
        ("B-001", "500101", "ถนนคอนกรีตเสริมเหล็ก", "ซ่อมถนนหมู่ 3", "economy", Decimal("45000.50"), 2024),
        ("B-002", "500102", "ขุดลอกคลอง", "", "environment", Decimal("120000.00"), 2023),
    ]

    path.write_text(
        BANK_HEADER + 'B-001,500102,ถนนลาดยาง,,social,"1,234,567.8",2566\nB-003,500101,ฝายชะลอน้ำ,,other,0,\n',
        encoding="utf-8",
    )
    counts = bank_import(path=path, acting_user=actor)

    assert counts == {"entries": 2, "created": 1, "updated": 1}
    assert bank_rows() == [
        ("B-001", "500102", "ถนนลาดยาง", "", "social", Decimal("1234567.80"), 2023),
        ("B-002", "500102", "ขุดลอกคลอง", "", "environment", Decimal("120000.00"), 2023),
        ("B-003", "500101", "ฝายชะลอน้ำ", "", "other", Decimal("0.00"), None),
    ]


@pytest.mark.usefixtures("subdistricts")
def test_bank_without_source_year_column_keeps_recorded_years(tmp_path: Path, actor: User) -> None:
    bank_import(
        path=write_text(tmp_path / "a.csv", BANK_HEADER + "B-001,500101,Road,,economy,100,2567\n"),
        acting_user=actor,
    )
    bank_import(
        path=write_text(
            tmp_path / "b.csv",
            "code,subdistrict_code,title,description,dimension,estimated_budget\n"
            "B-001,500101,Road 2,,economy,200\n",
        ),
        acting_user=actor,
    )
    assert bank_rows() == [("B-001", "500101", "Road 2", "", "economy", Decimal("200.00"), 2024)]


def write_xlsx(path: Path, rows: list[list[Any]]) -> Path:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


XLSX_HEADER = [
    "code",
    "subdistrict_code",
    "title",
    "description",
    "dimension",
    "estimated_budget",
    "source_year",
]


@pytest.mark.usefixtures("subdistricts")
def test_bank_xlsx_imports_with_numeric_cells_then_reimport_updates(tmp_path: Path, actor: User) -> None:
    path = write_xlsx(
        tmp_path / "bank.xlsx",
        [
            XLSX_HEADER,
            ["X-1", 500101, "ศูนย์เรียนรู้ชุมชน", None, "social", 45000.5, 2566],
            ["X-2", "500102", "กล้องวงจรปิด", "ติดตั้ง 8 จุด", "security", "1,250.75", None],
            [None, None, None, None, None, None, None],  # blank rows are skipped
        ],
    )
    counts = bank_import(path=path, acting_user=actor)

    assert counts == {"entries": 2, "created": 2, "updated": 0}
    assert bank_rows() == [
        ("X-1", "500101", "ศูนย์เรียนรู้ชุมชน", "", "social", Decimal("45000.50"), 2023),
        ("X-2", "500102", "กล้องวงจรปิด", "ติดตั้ง 8 จุด", "security", Decimal("1250.75"), None),
    ]

    write_xlsx(path, [XLSX_HEADER, ["X-1", 500101, "ศูนย์เรียนรู้", "", "administration", 99999, 2024]])
    assert bank_import(path=path, acting_user=actor) == {"entries": 1, "created": 0, "updated": 1}
    assert BankEntry.objects.count() == 2
    x1 = BankEntry.objects.get(code="X-1")
    assert (x1.title, x1.dimension, x1.estimated_budget, x1.source_year) == (
        "ศูนย์เรียนรู้",
        "administration",
        Decimal("99999.00"),
        2024,
    )


@pytest.mark.usefixtures("subdistricts")
def test_bank_upload_file_object_imports(tmp_path: Path, actor: User) -> None:
    path = write_xlsx(
        tmp_path / "upload.xlsx", [XLSX_HEADER, ["U-1", "500101", "Road", "", "economy", 10, 2567]]
    )
    with path.open("rb") as upload:
        counts = bank_import_file(fileobj=upload, filename="Bank 2567.XLSX", acting_user=actor)
    assert counts == {"entries": 1, "created": 1, "updated": 0}

    upload_csv = io.BytesIO(("\ufeff" + BANK_HEADER + "U-2,500102,Canal,,environment,20.5,\n").encode())
    counts = bank_import_file(fileobj=upload_csv, filename="bank.csv", acting_user=actor)
    assert counts == {"entries": 1, "created": 1, "updated": 0}
    assert bank_rows() == [
        ("U-1", "500101", "Road", "", "economy", Decimal("10.00"), 2024),
        ("U-2", "500102", "Canal", "", "environment", Decimal("20.50"), None),
    ]

    with pytest.raises(ImportFailed, match=r"^bank\.xls: unsupported file type"):
        bank_import_file(fileobj=io.BytesIO(b"whatever"), filename="bank.xls", acting_user=actor)
    with pytest.raises(ImportFailed, match=r"^fake\.xlsx: the file is not a valid XLSX workbook"):
        bank_import_file(fileobj=io.BytesIO(b"code,title\n"), filename="fake.xlsx", acting_user=actor)


BAD_BANK_VALUES = [
    ("estimated_budget", "12.345", '"12.345" has more than 2 decimal places (satang)'),
    ("estimated_budget", "-100", '"-100" is negative; the budget cannot be negative'),
    ("estimated_budget", "1.5e3", '"1.5e3" is not an amount such as 45000 or 45,000.50'),
    ("estimated_budget", "45,00", '"45,00" is not an amount such as 45000 or 45,000.50'),
    ("estimated_budget", "", "a value is required"),
    (
        "estimated_budget",
        "1000000000000",
        '"1000000000000" is too large; at most 12 digits before the decimal point',
    ),
    (
        "dimension",
        "health",
        'unknown dimension "health"; '
        "use one of economy, social, environment, security, administration, other",
    ),
    ("subdistrict_code", "999999", 'unknown subdistrict code "999999"'),
    ("title", "", "a value is required"),
    ("source_year", "67", '"67" is not a year such as 2567 (Buddhist Era) or 2024'),
    ("code", "B-001", '"B-001" already appears on line 2'),
]


def bank_csv_line(**values: str) -> str:
    row = {
        "code": "B-002",
        "subdistrict_code": "500102",
        "title": "Canal",
        "description": "",
        "dimension": "environment",
        "estimated_budget": "5000",
        "source_year": "2567",
    } | values
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow(row.values())
    return out.getvalue()


@pytest.mark.usefixtures("subdistricts")
@pytest.mark.parametrize(("column", "value", "problem"), BAD_BANK_VALUES)
def test_bank_csv_bad_value_names_line_and_column_and_writes_nothing(
    tmp_path: Path, actor: User, column: str, value: str, problem: str
) -> None:
    BankEntry.objects.create(
        code="B-001", subdistrict_id="500101", title="Old", dimension="economy", estimated_budget=Decimal(1)
    )
    before = bank_rows()
    path = write_text(
        tmp_path / "bank.csv",
        BANK_HEADER
        + bank_csv_line(code="B-001", title="New title")  # a good update on line 2 ...
        + bank_csv_line(**{column: value}),  # ... and the bad value on line 3
    )

    with pytest.raises(ImportFailed) as failure:
        bank_import(path=path, acting_user=actor)

    assert str(failure.value) == f"bank.csv line 3, column {column}: {problem}"
    assert bank_rows() == before


@pytest.mark.usefixtures("subdistricts")
def test_bank_xlsx_bad_value_names_row_and_column_and_writes_nothing(tmp_path: Path, actor: User) -> None:
    path = write_xlsx(
        tmp_path / "bank.xlsx",
        [
            XLSX_HEADER,
            ["X-1", 500101, "Road", None, "economy", 100, 2567],
            ["X-2", 500102, "Canal", None, "environment", 100, 2567],
            ["X-3", 500102, "Weir", None, "environment", "about 5000", 2567],
        ],
    )
    with pytest.raises(ImportFailed) as failure:
        bank_import(path=path, acting_user=actor)
    assert str(failure.value) == (
        'bank.xlsx line 4, column estimated_budget: "about 5000" is not an amount such as 45000 or 45,000.50'
    )
    assert BankEntry.objects.count() == 0


@pytest.mark.usefixtures("subdistricts")
def test_bank_header_must_have_every_required_column(tmp_path: Path, actor: User) -> None:
    path = write_text(
        tmp_path / "bank.csv",
        "code,subdistrict_code,title,description,estimated_budget\nB-1,500101,Road,,100\n",
    )
    with pytest.raises(ImportFailed) as failure:
        bank_import(path=path, acting_user=actor)
    assert str(failure.value) == "bank.csv line 1, column dimension: the required column is missing"

    path.write_text(BANK_HEADER.strip() + ",budget_note\nB-1,500101,Road,,economy,100,,n\n", encoding="utf-8")
    with pytest.raises(ImportFailed, match=r"^bank\.csv line 1, column budget_note: unexpected column"):
        bank_import(path=path, acting_user=actor)

    # An unquoted thousands separator shifts the values: caught, not silently misread.
    path.write_text(BANK_HEADER + "B-1,500101,Road,,economy,45,000.50,2567\n", encoding="utf-8")
    with pytest.raises(ImportFailed, match=r"^bank\.csv line 2: the row has more values than the header"):
        bank_import(path=path, acting_user=actor)
    assert BankEntry.objects.count() == 0


# ---------------------------------------------------------------------------------------------
# The system user and the commands
# ---------------------------------------------------------------------------------------------


def test_system_user_is_inactive_without_usable_password_and_unique() -> None:
    user = system_user()
    assert user.username == "system"
    assert not user.is_active
    assert not user.has_usable_password()
    assert system_user().pk == user.pk
    assert User.objects.filter(username="system").count() == 1


def test_import_geography_command_prints_counts_and_defaults_to_system_user(geo_dir: Path) -> None:
    out = io.StringIO()
    call_command("import_geography", str(geo_dir), stdout=out)

    assert "Imported 2 provinces, 4 districts and 4 subdistricts." in out.getvalue()
    assert District.objects.programme().count() == 2
    assert not User.objects.get(username="system").is_active


def test_import_geography_command_fails_on_bad_row(tmp_path: Path) -> None:
    data = mini_geography()
    data["districts.csv"][2]["PROVINCE_ID"] = "99"
    directory = write_geography(tmp_path / "bad", data)

    with pytest.raises(CommandError) as failure:
        call_command("import_geography", str(directory), stdout=io.StringIO())

    assert str(failure.value) == 'districts.csv line 4, column PROVINCE_ID: unknown province id "99"'
    assert Province.objects.count() == 0


def test_commands_reject_an_unknown_actor(geo_dir: Path) -> None:
    with pytest.raises(CommandError, match='There is no user named "nobody"'):
        call_command("import_geography", str(geo_dir), "--actor", "nobody", stdout=io.StringIO())
    assert Province.objects.count() == 0

    User.objects.create_user(username="alice")
    out = io.StringIO()
    call_command("import_geography", str(geo_dir), "--actor", "alice", stdout=out)
    assert "Imported 2 provinces" in out.getvalue()


@pytest.mark.usefixtures("provinces")
def test_import_regions_command(tmp_path: Path) -> None:
    good = write_text(
        tmp_path / "regions.csv",
        "region_code,region_name,province_code\nR15,Region 15,50\nR15,Region 15,51\n",
    )
    out = io.StringIO()
    call_command("import_regions", str(good), stdout=out)
    assert "Imported 1 inspection regions covering 2 provinces (2 added, 0 removed)." in out.getvalue()
    assert region_provinces() == {"R15": ("Region 15", ["50", "51"])}

    bad = write_text(tmp_path / "bad.csv", "region_code,region_name\nR15,Region 15\n")
    with pytest.raises(
        CommandError, match=r"^bad\.csv line 1, column province_code: the required column is missing$"
    ):
        call_command("import_regions", str(bad), stdout=io.StringIO())


@pytest.mark.usefixtures("subdistricts")
def test_import_bank_command(tmp_path: Path) -> None:
    path = write_text(tmp_path / "bank.csv", BANK_HEADER + bank_csv_line(code="B-9", source_year="2568"))
    out = io.StringIO()
    call_command("import_bank", str(path), stdout=out)
    assert "Imported 1 project bank entries (1 new, 0 updated)." in out.getvalue()
    assert BankEntry.objects.get(code="B-9").source_year == 2025

    out = io.StringIO()
    call_command("import_bank", str(path), stdout=out)
    assert "Imported 1 project bank entries (0 new, 1 updated)." in out.getvalue()
    assert BankEntry.objects.count() == 1

    bad = write_text(tmp_path / "bad.csv", BANK_HEADER + bank_csv_line(dimension="health"))
    with pytest.raises(CommandError, match=r'^bad\.csv line 2, column dimension: unknown dimension "health"'):
        call_command("import_bank", str(bad), stdout=io.StringIO())

    with pytest.raises(CommandError, match=r"^missing\.csv: file not found"):
        call_command("import_bank", str(tmp_path / "missing.csv"), stdout=io.StringIO())
