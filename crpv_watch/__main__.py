"""``python -m crpv_watch``: the same command as ``crpv-watch``."""

from crpv_watch.cli import main

main(prog_name="crpv-watch")
