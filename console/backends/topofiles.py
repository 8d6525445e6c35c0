"""What the file-backed backends (emulated://, netns://) share: where the shipped
topologies are, how a URI names a file (`scheme:///demo` or `scheme:///path.yaml`), and
reading that file with its problems as one BackendError."""

from __future__ import annotations

import contextlib
import importlib.resources
import os
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from console.models import heap, topofile
from console.models.topology import Topology

from .base import BackendError


def resource_path(relative: str) -> Path | None:
    """A file under resources/, from an installed package (console.resources) or from a
    source checkout (the repository's top-level resources/ folder)."""
    try:
        candidate = importlib.resources.files("console.resources").joinpath(relative)
        if candidate.is_file():
            return Path(str(candidate))
    except (ModuleNotFoundError, TypeError, FileNotFoundError):
        pass
    checkout = Path(__file__).resolve().parents[2] / "resources" / relative
    return checkout if checkout.is_file() else None


def demo_path() -> Path:
    """The demo topology file."""
    path = resource_path("topologies/demo.yaml")
    if path is None:
        # A source checkout without the demo yet: the DESIGN.md example stands in.
        fallback = Path(__file__).resolve().parents[2] / "tests" / "data" / "design_example.yaml"
        if fallback.is_file():
            return fallback
        raise BackendError("the demo topology (resources/topologies/demo.yaml) is not "
                           "installed")
    return path


def file_of_uri(uri: str, scheme: str) -> tuple[Path, dict[str, str]]:
    """(topology file, query options) of `scheme:///path.yaml`; `scheme:///demo` (or no
    path) is the shipped demo."""
    parts = urlsplit(uri)
    if parts.scheme != scheme:
        raise BackendError(f"'{uri}' is not a {scheme}:// URI")
    raw = unquote(parts.path or "")
    if parts.netloc and parts.netloc != "localhost":
        raw = f"/{parts.netloc}{raw}"  # scheme://demo written with two slashes
    options = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    if raw.strip("/") in ("", "demo"):
        return demo_path(), options
    return Path(raw).expanduser(), options


def load_topology(path: str | os.PathLike[str]) -> Topology:
    """Read the topology file a backend runs, with its problems as one BackendError."""
    try:
        return topofile.load(path)
    except topofile.TopologyFileError as exc:
        raise BackendError(str(exc)) from None
    except OSError as exc:
        raise BackendError(f"{path}: {exc.strerror or exc}") from None


def settle_heap(loaded_from: Path | None = None) -> None:
    """Keep the garbage collector off a loaded topology's objects.

    A large topology is millions of long-lived objects (pydantic models, their psygnal
    groups), and CPython's full collections walk all of them. With a counter sample every
    second, one ran every few samples and held the GIL throughout: 3 s at 100,000 VIFs
    (0.16 s at 10,000, against 0.02 s for the sample itself), a frozen window each time.
    So, once a topology is loaded: one collection, then gc.freeze() hides the survivors
    from later ones. Objects frozen earlier are handed back first (gc.unfreeze()), so a
    topology closed since then is still collected here.

    The emulated backend calls it with the file it loaded; the kernel lab's topologies
    are small enough not to need it. A file large enough that reading it froze its
    objects (topofile.leaves_frozen) was settled by the read: handing them back here to
    walk them all once more held the window 0.46 s at 100,000 VMs."""
    if loaded_from is not None:
        with contextlib.suppress(OSError):
            if topofile.leaves_frozen(loaded_from.stat().st_size):
                return
    heap.settle()
