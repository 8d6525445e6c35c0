"""Copy and paste of canvas objects, as YAML text (readable when pasted elsewhere)."""

from __future__ import annotations

import atexit

import yaml
from pydantic import ValidationError
from PySide6.QtCore import QMimeData
from PySide6.QtGui import QGuiApplication, QUndoCommand

from console.models import Topology, Vm
from console.views.undo import COLLECTIONS, AddObject, Macro

from .factory import next_mac, unique_name
from .items import NodeItem

MIME_OBJECTS = "application/x-fabric-console-objects"
PASTE_OFFSET = 40.0


_exit_hook = False


def _clear_own_clipboard() -> None:
    if QGuiApplication.instance() is not None:
        QGuiApplication.clipboard().clear()


def put_on_clipboard(mime: QMimeData) -> None:
    """Set the clipboard, and clear it at exit: with PySide6 6.11 (offscreen platform at
    least) a process that exits holding Python-made mime data on the clipboard crashes."""
    global _exit_hook
    if not _exit_hook:
        atexit.register(_clear_own_clipboard)
        _exit_hook = True
    QGuiApplication.clipboard().setMimeData(mime)


def copy_mime(nodes: list[NodeItem]) -> QMimeData:
    data: dict[str, list] = {}
    for node in nodes:
        data.setdefault(COLLECTIONS[node.kind], []).append(
            node.obj.model_dump(mode="json", exclude_defaults=True))
    text = yaml.safe_dump(data, sort_keys=False)
    mime = QMimeData()
    mime.setData(MIME_OBJECTS, text.encode())
    mime.setText(text)
    return mime


def paste_command(topo: Topology, mime: QMimeData) -> QUndoCommand | None:
    """New copies of the copied objects: fresh names, fresh MACs, shifted positions."""
    if not mime.hasFormat(MIME_OBJECTS):
        return None
    try:
        data = yaml.safe_load(bytes(mime.data(MIME_OBJECTS).data()).decode())
    except yaml.YAMLError:
        return None
    if not isinstance(data, dict):
        return None
    macro = Macro("Paste")
    children = []
    taken_macs: set[str] = set()
    for collection, items in data.items():
        if collection not in COLLECTIONS.values() or not isinstance(items, list):
            continue
        model = type(getattr(topo, collection)[0]) if getattr(topo, collection) else None
        names = {x.name for x in getattr(topo, collection)}
        for raw in items:
            raw = dict(raw)
            raw["name"] = unique_name(names, f"{raw.get('name', 'copy')}-")
            names.add(raw["name"])
            if raw.get("position"):
                x, y = raw["position"]
                raw["position"] = (x + PASTE_OFFSET, y + PASTE_OFFSET)
            if collection == "vms":
                nics = []
                for nic in raw.get("nics", []):
                    mac = next_mac(topo)
                    while mac in taken_macs:
                        mac = mac[:-2] + f"{(int(mac[-2:], 16) + 1) % 256:02x}"
                    taken_macs.add(mac)
                    nics.append({**nic, "mac": mac})
                raw["nics"] = nics
            try:
                cls = model or _model_for(collection)
                obj = cls.model_validate(raw)
            except ValidationError:
                continue
            children.append(AddObject(topo, collection, obj))
    if not children:
        return None
    macro.setText(f"Paste {len(children)} item{'s' if len(children) > 1 else ''}")
    return macro.adopt(children)


def _model_for(collection: str):
    from console.models import BridgeDomain, FabricInterconnect, Host, PortProfile

    return {"vms": Vm, "hosts": Host, "bridge_domains": BridgeDomain,
            "port_profiles": PortProfile, "fabric_interconnects": FabricInterconnect}[collection]
