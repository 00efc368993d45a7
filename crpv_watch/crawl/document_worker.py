"""The document worker process: ``python -m crpv_watch.crawl.document_worker FD``, started by ``parse_pdf``'s
pool. It serves PDF tasks (``pdf_text``) and DOCX/ODT tasks (``office_text``) under the same address-space cap,
timeout and recycling; this module only routes each task, so that neither extractor imports the other.
"""

from __future__ import annotations

import os
import sys
from multiprocessing.connection import Connection

from crpv_watch.crawl import office_text, pdf_text


def run_task(task: dict) -> dict:
    if task.get("format") in office_text.FORMATS:
        return office_text.extract(task["body"], task["format"])
    return pdf_text.run_pdf_task(task)


if __name__ == "__main__":
    # Anything a library prints must not reach the parent as protocol bytes: the channel is a socket, and
    # stdout is pointed at stderr for good measure.
    os.dup2(2, 1)
    pdf_text.worker_main(Connection(int(sys.argv[1])), run_task)
