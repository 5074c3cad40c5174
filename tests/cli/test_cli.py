"""The installed `critresp` command: help, version, config errors as one line."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from critresp import __version__


def run(exe: Path, *args: str, env: dict | None = None, input: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(exe), *args], capture_output=True, text=True, env={**os.environ, **(env or {})}, input=input, timeout=120
    )


def test_version(critresp_bin: Path) -> None:
    res = run(critresp_bin, "--version")
    assert res.returncode == 0
    assert res.stdout.strip() == f"critresp {__version__}"


@pytest.mark.parametrize(
    "args, expect",
    [
        ((), "demo"),
        (("demo",), "--cases"),
        (("export",), "--format"),
        (("login",), "--server"),
        (("serve",), "--db-url"),
        (("auth",), "status"),
        (("admin", "create-token"), "--role"),
        (("sync",), "outbox"),
    ],
)
def test_help_for_every_command(critresp_bin: Path, args: tuple[str, ...], expect: str) -> None:
    res = run(critresp_bin, *args, "--help")
    assert res.returncode == 0, res.stderr
    assert expect in res.stdout


def test_bad_config_is_one_line(critresp_bin: Path, tmp_path: Path) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text("queue_page_size = 'lots'\n")
    res = run(critresp_bin, "export", "--format", "csv", env={"CRITRESP_CONFIG": str(cfg)})
    assert res.returncode != 0
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr
    assert "queue_page_size" in lines[0] and "Traceback" not in res.stderr


def test_broken_toml_is_one_line(critresp_bin: Path, tmp_path: Path) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text("[keymap\nclaim = 'c'\n")
    res = run(critresp_bin, "export", "--format", "json", env={"CRITRESP_CONFIG": str(cfg)})
    assert res.returncode != 0
    assert len(res.stderr.strip().splitlines()) == 1
    assert "not valid TOML" in res.stderr


def test_missing_config_file_from_env(critresp_bin: Path, tmp_path: Path) -> None:
    res = run(critresp_bin, "export", "--format", "csv", env={"CRITRESP_CONFIG": str(tmp_path / "nope.toml")})
    assert res.returncode != 0
    assert "does not exist" in res.stderr and "Traceback" not in res.stderr


def test_token_is_never_taken_from_argv(critresp_bin: Path) -> None:
    res = run(critresp_bin, "login", "--server", "http://127.0.0.1:9", "--token", "s3cret")
    assert res.returncode == 2  # argparse refuses the unknown option
    assert "unrecognized arguments" in res.stderr


def test_config_command_prints_path(critresp_bin: Path, tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    res = run(critresp_bin, "config", env={"CRITRESP_CONFIG": str(cfg)})
    assert res.returncode == 0
    assert str(cfg) in res.stdout
    example = run(critresp_bin, "config", "--example")
    assert "[keymap]" in example.stdout


def test_serve_starts_the_reference_server(critresp_bin: Path, tmp_path: Path) -> None:
    import socket
    import time

    import httpx

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "CRITRESP_DATA_DIR": str(tmp_path / "data")}
    proc = subprocess.Popen(
        [str(critresp_bin), "serve", "--port", str(port)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        ok = False
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                ok = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).json().get("ok") is True
            except httpx.HTTPError:
                ok = False
            if ok:
                break
            time.sleep(0.2)  # polling a condition (the server answering), not a fixed wait
        assert ok, proc.stderr.read() if proc.poll() is not None else "server never answered"
        token = run(
            critresp_bin, "admin", "create-token", "--id", "A-9", "--name", "Test Person", env={"CRITRESP_DATA_DIR": str(tmp_path / "data")}
        )
        assert token.returncode == 0, token.stderr
        tok = token.stdout.strip()
        me = httpx.get(f"http://127.0.0.1:{port}/api/v1/me", headers={"Authorization": f"Bearer {tok}"}, timeout=5)
        assert me.status_code == 200 and me.json()["name"] == "Test Person"
    finally:
        proc.terminate()
        proc.wait(timeout=30)
