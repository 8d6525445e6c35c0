"""The evented base (console/models/base.py): what views and backends rely on when they
follow a model's events, and what the fast load relies on (no Python per object made)."""

from __future__ import annotations

import copy
import pickle

import pytest
from pydantic import ValidationError

from console.models import Host, Switching, Vnic
from console.models.base import Model


def test_a_field_emits_once_per_real_change_with_the_validated_value():
    host = Host(name="h1")
    got: list[object] = []
    host.events.switching.connect(got.append)
    host.switching = "vem"  # type: ignore[assignment]  # validated into the enum
    host.switching = Switching.VEM  # the same value again: no event
    assert got == [Switching.VEM]


def test_the_group_emits_every_field_with_its_name():
    host = Host(name="h1")
    seen: list[str] = []
    host.events.connect(lambda info: seen.append(info.signal.name))
    host.cluster = "blue"
    host.qemu_pci_slots = 64
    assert seen == ["cluster", "qemu_pci_slots"]


def test_a_refused_value_changes_nothing_and_emits_nothing():
    host = Host(name="h1")
    got: list[object] = []
    host.events.qemu_pci_slots.connect(got.append)
    with pytest.raises(ValidationError):
        host.qemu_pci_slots = 0
    assert host.qemu_pci_slots == 32 and got == []


def test_no_signal_group_until_someone_asks():
    # The load makes 250,000 objects at 100,000 VMs; a group each was most of its memory.
    host = Host(name="h1")
    assert getattr(host, "_signal_group", None) is None
    host.cluster = "blue"  # assigning without listeners does not build one either
    assert getattr(host, "_signal_group", None) is None
    assert host.events is host.events


@pytest.mark.parametrize("make_copy", [
    lambda m: m.model_copy(), lambda m: m.model_copy(deep=True), copy.copy, copy.deepcopy,
    lambda m: pickle.loads(pickle.dumps(m)),
], ids=["model_copy", "model_copy-deep", "copy", "deepcopy", "pickle"])
def test_a_copy_never_reaches_the_originals_listeners(make_copy):
    # Planned changes edit copies (rules.apply.applied_copy): their edits must not show
    # in a view bound to the original.
    host = Host(name="h1")
    got: list[object] = []
    host.events.cluster.connect(got.append)
    twin = make_copy(host)
    twin.cluster = "elsewhere"
    assert got == [] and host.cluster != "elsewhere"


def test_equality_goes_field_by_field_and_against_plain_data():
    a = Vnic(name="eth0", mac="52:54:00:00:00:01", port_profile="web")
    b = Vnic(name="eth0", mac="52:54:00:00:00:01", port_profile="web")
    assert a == b and a == a.model_dump()
    b.mtu = 9000
    assert a != b
    with pytest.raises(TypeError):
        hash(a)  # mutable: never a dict key by value


def test_models_have_no_python_init_or_private_attributes():
    # A file validates entirely in pydantic-core only while no model runs Python per
    # object made: an __init__ of our own, or private attributes pydantic sets up per
    # instance, would bring back the 10 KB and 100 µs per VM of psygnal's EventedModel.
    def models(cls: type[Model]):
        yield cls
        for sub in cls.__subclasses__():
            yield from models(sub)

    for cls in models(Model):
        assert "__init__" not in vars(cls), cls.__name__
        assert not cls.__private_attributes__, (cls.__name__, cls.__private_attributes__)


def test_objects_loaded_alike_share_their_fields_set_until_one_is_edited():
    from console.models import topofile

    topo = topofile.loads("""
format: fabric-console/1
name: shared
hosts:
  - {name: h1, switching: vem}
  - {name: h2, switching: vem}
  - {name: h3, switching: vem, cluster: blue}
""")
    h1, h2, h3 = topo.hosts
    assert h1.__pydantic_fields_set__ is h2.__pydantic_fields_set__  # one set, not three
    assert h1.model_fields_set == h2.model_fields_set == {"name", "switching"}
    assert h3.model_fields_set == {"name", "switching", "cluster"}
    h1.os = "rhel-6.4"
    assert h1.model_fields_set == {"name", "switching", "os"}
    assert h2.model_fields_set == {"name", "switching"}  # the edit stayed on h1
    assert h1.model_dump(exclude_unset=True) == {"name": "h1", "switching": Switching.VEM,
                                                 "os": "rhel-6.4"}
    assert h2.model_dump(exclude_unset=True) == {"name": "h2", "switching": Switching.VEM}
