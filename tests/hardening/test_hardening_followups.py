"""The #17 gaps outside the model files first hardened: the host OS, the topology's own
name, and capture frames from an all-zero source MAC."""

from __future__ import annotations

import pytest
from hardening_helpers import BASE, run_cli

from console.models import topofile as tf


@pytest.mark.parametrize("os_name", ["rhel-6.4\\n", "rhel-٦.٤"])
def test_a_host_os_is_ascii_and_one_line(write, os_name):
    text = BASE.replace("switching: vem,", f'switching: vem, os: "{os_name}",', 1)
    assert f'os: "{os_name}"' in text
    run = run_cli("validate", str(write(text)))
    assert run.code == 2 and "hosts[0].os" in run.err, run


def test_an_ascii_host_os_still_loads(write):
    text = BASE.replace("switching: vem,", 'switching: vem, os: "rhel-6.4",', 1)
    assert tf.load(write(text)).hosts[0].os == "rhel-6.4"


def test_control_characters_leave_the_topology_name(write):
    text = BASE.replace("name: hardening", 'name: "hard\\u001bening"', 1)
    assert 'name: "hard' in text
    assert tf.load(write(text)).name == "hardening"


def test_a_name_of_control_characters_only_is_refused(write):
    """Found by the fuzz test: '\\b' loaded as '' and the saved file then refused."""
    text = BASE.replace("name: hardening", 'name: "\\b"', 1)
    run = run_cli("validate", str(write(text)))
    assert run.code == 2 and "name: the topology's name has no visible characters" \
        in run.err, run
