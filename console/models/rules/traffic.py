"""Traffic flows against the vNICs that send them."""

from __future__ import annotations

from .registry import N1KV_DOC, SCHEMA_DOC, WARNING, Context, Yield, rule


@rule("traffic.size-over-mtu", WARNING, "A flow's packets fit the sending vNIC's MTU",
      f"{N1KV_DOC}, section Fragmentation: "
      f"'what the VM VNICs are configured to send'; {SCHEMA_DOC}, traffic: '`size` is "
      "the L3 length (what an MTU limits)'")
def size_over_mtu(ctx: Context) -> Yield:
    # A VM's stack never hands its vNIC a packet over the vNIC's MTU: a flow that does
    # plans for traffic the network will not see (the emulated fabric carries it as written).
    vifs = ctx.index.vifs
    for i, flow in enumerate(ctx.topo.traffic):
        ref = vifs.get(flow.source)
        if ref is not None and flow.size > ref.nic.mtu:
            yield (f"traffic[{i}].size",
                   f"traffic flow {i + 1} sends {flow.size}-byte packets from vNIC "
                   f"{flow.source}, whose MTU is {ref.nic.mtu}: the VM fragments or refuses "
                   "them before they reach the network; lower size or raise the vNIC's mtu")
