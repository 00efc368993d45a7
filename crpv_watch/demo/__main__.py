"""``python -m crpv_watch.demo [--port N] [--first-address A] [--sources PATH]``: serve until Ctrl-C."""

from __future__ import annotations

import argparse
import threading
import time

from .network import DemoNetwork


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m crpv_watch.demo", description="Serve the demo network on loopback.")
    parser.add_argument("--port", type=int, default=8800)
    parser.add_argument("--first-address", default="127.0.0.2")
    parser.add_argument("--sources", help="also write a sources.yaml pointing at the running network to this path")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    net = DemoNetwork(port=args.port, first_address=args.first_address).start()
    elapsed = time.perf_counter() - started
    manifest = net.manifest
    print(f"Réseau de démonstration prêt en {elapsed:.2f} s ({manifest['counts']['documents']} documents) :")
    for site in manifest["sites"]:
        print(f"  {site['homepage']:<28} {site['source_id']:<26} {site['shape']:<8} {site['name']}")
    if args.sources:
        print(f"sources.yaml écrit dans {net.write_sources(args.sources)}")
    print("Ctrl-C pour arrêter.")
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        net.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
