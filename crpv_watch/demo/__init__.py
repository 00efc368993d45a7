"""The bundled demo network: fictional centre websites served on loopback addresses, with a ground truth.

    from crpv_watch.demo import DemoNetwork
    with DemoNetwork(port=8800) as net:      # sites on 127.0.0.2 … 127.0.0.6
        print(net.sources_yaml())
        truth = net.manifest

It is the embedded default of ``make run`` and the main fixture of the tests. All names, places and texts are
invented; the content is generated deterministically (byte-identical between runs, so ETags are stable).
"""

from __future__ import annotations

from .network import DemoNetwork

__all__ = ["DemoNetwork"]
