"""The JSON Schema of `fabric-console/1` topology files, generated from the Topology model.

The committed copy, console/models/schema/topology.schema.json, ships in the package for
editors and other tools; a test keeps it equal to what the model generates. Regenerate it
after changing a model:

    python -m console.models.schema            # rewrite the committed file
    python -m console.models.schema --check    # exit 1 if it is stale
    python -m console.models.schema -o -       # print it

The schema checks structure, types and ranges (what loading checks); the domain rules
(`fabric-console validate`) are findings, not schema errors, so a planner can still open a
design that breaks them.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from .topology import FORMAT, Topology

SCHEMA_ID = "https://fabric-console.invalid/schema/topology-1.schema.json"
SCHEMA_PATH = Path(__file__).with_name("schema") / "topology.schema.json"


def topology_schema() -> dict[str, Any]:
    """The schema as a dict: draft 2020-12, keys as the file writes them (aliases)."""
    body = Topology.model_json_schema(by_alias=True, mode="validation")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": f"Fabric Console topology ({FORMAT})",
        "description": "A topology file of Fabric Console: UCS and underlay settings, "
                       "clusters, fabric interconnects, bridge domains, port profiles, "
                       "OpenStack objects, hosts, VMs and traffic flows.",
        **{k: v for k, v in body.items() if k not in ("title", "description")},
    }


def schema_text() -> str:
    return json.dumps(topology_schema(), indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m console.models.schema",
                                     description="Regenerate the topology JSON Schema.")
    parser.add_argument("--check", action="store_true",
                        help="exit 1 if the committed schema differs from the model's")
    parser.add_argument("-o", "--out", default=str(SCHEMA_PATH),
                        help="where to write it ('-' for standard output)")
    args = parser.parse_args(argv)
    text = schema_text()
    if args.check:
        current = SCHEMA_PATH.read_text(encoding="utf-8") if SCHEMA_PATH.exists() else ""
        if current != text:
            print(f"{SCHEMA_PATH} is stale: run python -m console.models.schema",
                  file=sys.stderr)
            return 1
        return 0
    if args.out == "-":
        sys.stdout.write(text)
        return 0
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(out)
    print(f"wrote {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
