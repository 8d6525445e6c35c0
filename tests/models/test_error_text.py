"""error_text: every validation error in the console's words, wherever it is shown (the
file loader, the editors' forms)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from console.models import Host, Vnic
from console.models.types import NAME_RULE, error_text


@pytest.mark.parametrize("name", ["-web", "web1\n", "a" * 64, "wéb", ""])
def test_a_bad_name_is_worded_as_the_name_rule(name):
    with pytest.raises(ValidationError) as caught:
        Host(name=name)
    assert [error_text(e) for e in caught.value.errors()] == [NAME_RULE]


@pytest.mark.parametrize("name", ["web1", "a" * 63, "0vm", "vm.1:eth0_x-y"])
def test_a_good_name_passes(name):
    assert Host(name=name).name == name


def test_a_rule_message_loses_pydantics_prefix():
    with pytest.raises(ValidationError) as caught:
        Vnic(name="eth0", mac="01:00:5e:00:00:01", port_profile="web")
    (text,) = [error_text(e) for e in caught.value.errors()]
    assert text.startswith("a station's MAC address is unicast")


def test_other_errors_keep_pydantics_words():
    with pytest.raises(ValidationError) as caught:
        Host(name="h1", qemu_pci_slots=0)
    (text,) = [error_text(e) for e in caught.value.errors()]
    assert text == "Input should be greater than or equal to 1"
