"""Live migration with plain hosts (their own bridge, off the fabric): plain to plain is
allowed; between a plain host and the fabric it is refused with the reason."""

from __future__ import annotations

from console.models import topofile as tf
from console.models.derived import Derived

TEXT = """
format: fabric-console/1
name: plain
clusters: [{name: default}]
hosts:
  - {name: p1, cluster: default, switching: plain}
  - {name: p2, cluster: default, switching: plain}
  - {name: v1, cluster: default, switching: vem, vteps: [{name: v0, ip: 10.0.0.1/24}]}
vms:
  - {name: vm1, host: p1, nics: [{name: eth0, mac: "52:54:00:00:09:01",
     port_profile: lv-default, attach: veth}]}
"""


def test_plain_to_plain_is_allowed_and_plain_to_the_fabric_is_not():
    derived = Derived(tf.loads(TEXT))
    assert derived.migration("vm1", "p2").allowed
    verdict = derived.migration("vm1", "v1")
    assert not verdict.allowed
    assert verdict.reasons == ("vm1 moves between a plain host and the fabric (p1 is "
                               "plain, v1 is vem): its vNICs would need new attachments",)
