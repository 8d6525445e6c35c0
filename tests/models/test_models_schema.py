"""The JSON Schema shipped for topology files: generated from the model, committed equal,
and agreeing with the loader on real files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from console.models import schema

ROOT = Path(__file__).resolve().parents[2]
# large.yaml is left to the loader tests: jsonschema takes ~10 s on 2000 VMs.
FILES = [ROOT / "resources/topologies/demo.yaml", ROOT / "tests/data/design_example.yaml"]


def test_committed_schema_equals_the_generated_one():
    committed = schema.SCHEMA_PATH.read_text(encoding="utf-8")
    assert committed == schema.schema_text(), \
        "console/models/schema/topology.schema.json is stale: run python -m console.models.schema"
    assert schema.main(["--check"]) == 0


def test_schema_names_itself_and_refuses_unknown_keys():
    s = schema.topology_schema()
    assert s["$id"] == schema.SCHEMA_ID and "fabric-console/1" in s["title"]
    assert s["$schema"].endswith("2020-12/schema")
    assert s["additionalProperties"] is False
    assert all(d.get("additionalProperties") is False
               for d in s["$defs"].values() if d.get("type") == "object")
    assert "from" in s["$defs"]["TrafficFlow"]["properties"]  # keys as the file writes them


def test_check_reports_a_stale_schema(tmp_path, monkeypatch, capsys):
    stale = tmp_path / "topology.schema.json"
    stale.write_text("{}\n")
    monkeypatch.setattr(schema, "SCHEMA_PATH", stale)
    assert schema.main(["--check"]) == 1
    assert "stale" in capsys.readouterr().err
    assert schema.main(["-o", str(stale)]) == 0
    assert json.loads(stale.read_text()) == schema.topology_schema()


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_shipped_files_validate_against_the_schema(path):
    jsonschema = pytest.importorskip("jsonschema")
    jsonschema.validate(yaml.safe_load(path.read_text()), schema.topology_schema())


def test_schema_and_loader_agree_on_bad_names_and_keys():
    jsonschema = pytest.importorskip("jsonschema")
    data = yaml.safe_load((ROOT / "resources/topologies/demo.yaml").read_text())
    validator = jsonschema.Draft202012Validator(schema.topology_schema())
    assert not list(validator.iter_errors(data))
    data["hosts"][0]["name"] = "-bad name"
    data["vms"][0]["nics"][0]["colour"] = "red"
    messages = [e.message for e in validator.iter_errors(data)]
    assert any("does not match" in m for m in messages)
    assert any("colour" in m for m in messages)
