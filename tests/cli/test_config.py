"""Settings: TOML file, env overrides, config-path variable, one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from critresp.config import ConfigError, load_settings
from critresp.domain.taxonomy import AssociateRole


def test_defaults_without_file() -> None:
    s = load_settings()
    assert s.server_url is None
    assert s.queue_page_size == 200
    assert s.db_path.name == "critresp.db"


def test_file_then_env_override(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text(
        'server_url = "https://cr.example/"\ntheme = "nord"\n[associate]\nname = "Ana Bell"\n[keymap]\nclaim = "k"\n'
    )
    monkeypatch.setenv("CRITRESP_CONFIG", str(cfg))
    monkeypatch.setenv("CRITRESP_ASSOCIATE__ROLE", "lead")
    monkeypatch.setenv("CRITRESP_THEME", "gruvbox")
    s = load_settings()
    assert s.server_url == "https://cr.example"
    assert s.theme == "gruvbox"  # env wins over file
    assert s.associate.name == "Ana Bell" and s.associate.role is AssociateRole.LEAD
    assert s.keymap == {"claim": "k"}


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("unknown_key = 1\n", "unknown setting"),
        ('server_url = "ftp://x"\n', "server_url"),
        ("[keymap]\nclaim = ''\n", "keymap"),
        ("queue_page_size = 5\n", "queue_page_size"),
    ],
)
def test_bad_values_raise_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, fragment: str) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text(text)
    monkeypatch.setenv("CRITRESP_CONFIG", str(cfg))
    with pytest.raises(ConfigError) as exc:
        load_settings()
    msg = str(exc.value)
    assert fragment in msg and "\n" not in msg
