"""Settings: defaults, parsing, and errors that name the variable."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from warehouse.settings import Settings, SettingsError, get_settings, reset_settings

DOCUMENTED_IN_DESIGN = [
    "data_dir",
    "api_token",
    "ingest_token",
    "secret",
    "geoip_db",
    "cors_origins",
    "reporting_tz",
]


def test_read_settings_defaults(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # no stray .env
    settings = get_settings()
    assert settings.data_dir == Path("data")
    assert settings.reporting_tz == "UTC"
    assert settings.anonymize_ip is True


@pytest.mark.parametrize(
    ("variable", "value", "field", "expected"),
    [
        (
            "FOOTFALL_API_TOKEN",
            "token-one-1,token-two-2",
            "api_token",
            ["token-one-1", "token-two-2"],
        ),
        (
            "FOOTFALL_CORS_ORIGINS",
            "https://shop.example, https://www.shop.example",
            "cors_origins",
            ["https://shop.example", "https://www.shop.example"],
        ),
        ("FOOTFALL_REPORTING_TZ", "Europe/Berlin", "reporting_tz", "Europe/Berlin"),
        ("FOOTFALL_ANONYMIZE_IP", "false", "anonymize_ip", False),
        ("FOOTFALL_DATA_DIR", "/srv/footfall", "data_dir", Path("/srv/footfall")),
    ],
)
def test_read_settings_from_environment(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, field: str, expected: object
) -> None:
    monkeypatch.setenv(variable, value)
    reset_settings()
    assert getattr(get_settings(), field) == expected


@pytest.mark.parametrize(
    ("variable", "value", "allowed"),
    [
        ("FOOTFALL_REPORTING_TZ", "Mars/Olympus", "IANA time zone"),
        ("FOOTFALL_API_TOKEN", "short", "at least 8 characters"),
        ("FOOTFALL_SESSION_TIMEOUT_MINUTES", "0", "greater than or equal to 1"),
        ("FOOTFALL_GEOIP_DB", "/nonexistent/city.mmdb", "no such file"),
        ("FOOTFALL_ANONYMIZE_IP", "maybe", "valid boolean"),
    ],
)
def test_reject_bad_setting_naming_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, allowed: str
) -> None:
    monkeypatch.setenv(variable, value)
    reset_settings()
    with pytest.raises(SettingsError) as error:
        get_settings()
    assert variable in str(error.value)
    assert allowed in str(error.value)


def test_cli_reports_bad_setting_without_traceback(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "warehouse.cli", "run"],
        env={"FOOTFALL_REPORTING_TZ": "Nowhere/Town", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert result.returncode != 0
    assert "FOOTFALL_REPORTING_TZ" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("field", DOCUMENTED_IN_DESIGN)
def test_document_every_design_setting(field: str) -> None:
    info = Settings.model_fields[field]
    assert info.description, f"FOOTFALL_{field.upper()} needs a description"


def test_document_every_setting_in_operator_docs() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    docs = Path(__file__).resolve().parents[2] / "docs"
    text = readme + "".join(p.read_text() for p in docs.glob("*.md"))
    missing = [
        f"FOOTFALL_{name.upper()}"
        for name in Settings.model_fields
        if f"FOOTFALL_{name.upper()}" not in text
    ]
    assert not missing, f"undocumented settings: {missing}"
