"""Learner, instructor and demo modes: what `make lab`, `make instructor` and `make demo` run.

The browser tests (tests/test_browser_a11y.py) check the effect in a real JupyterLab and Voila;
these check the wiring: every setting lives in jupyter/ and each target points at it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SETTINGS = ROOT / "jupyter"
NBGRADER_SERVER = ("formgrader", "assignment_list", "course_list", "validate_assignment")


def dry_run(target: str) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    # -n prints the commands; -o keeps make from (re)building .venv for the dry run
    out = subprocess.run(["make", "-n", "-o", ".venv/.installed", target], cwd=ROOT, env=env, text=True,
                         capture_output=True, timeout=60, check=True)
    return out.stdout


def test_learner_settings_turn_every_nbgrader_tool_off() -> None:
    server = json.loads((SETTINGS / "learner" / "jupyter_server_config.json").read_text(encoding="utf-8"))
    extensions = server["ServerApp"]["jpserver_extensions"]
    assert {f"nbgrader.server_extensions.{name}": False for name in NBGRADER_SERVER} == extensions
    page = json.loads((SETTINGS / "learner" / "labconfig" / "page_config.json").read_text(encoding="utf-8"))
    assert page["disabledExtensions"] == {"@jupyter/nbgrader": True}


def test_demo_settings_cull_within_a_minute_and_load_only_widget_extensions() -> None:
    voila = json.loads((SETTINGS / "voila" / "voila.json").read_text(encoding="utf-8"))
    cull = voila["MappingKernelManager"]
    assert cull["cull_idle_timeout"] + cull["cull_interval"] <= 60 and cull["cull_connected"] is False
    config = voila["VoilaConfiguration"]
    assert config["template"] == "small-yeses"
    assert (SETTINGS / "share" / "voila" / "templates" / config["template"] / "index.html.j2").is_file()
    assert not any("nbgrader" in name or "notebook" in name for name in config["extension_allowlist"])
    assert "anywidget" in config["extension_allowlist"]


@pytest.mark.skipif(shutil.which("make") is None, reason="GNU make is not installed")
def test_make_targets_point_at_the_settings() -> None:
    lab, instructor, demo = dry_run("lab"), dry_run("instructor"), dry_run("demo")
    assert f'JUPYTER_CONFIG_PATH="{SETTINGS}/learner"' in lab and "jupyter lab" in lab
    assert "JUPYTER_CONFIG_PATH" not in instructor and "jupyter lab" in instructor
    assert f'JUPYTER_PATH="{SETTINGS}/share"' in demo and "FUNNEL_PRESENTER=1" in demo
    assert f'--Voila.config_file_paths="{SETTINGS}/voila"' in demo
