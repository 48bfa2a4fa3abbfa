"""Time the conclusion notice: draft, layout, PDF and DOCX for a meeting of N agenda items.

    .venv/bin/python scripts/bench_notice.py            # 20 items, both formats, a table
    .venv/bin/python scripts/bench_notice.py --json     # the same as JSON
    .venv/bin/python scripts/bench_notice.py --items 50 --repeat 10

Numbers are medians over ``--repeat`` runs after one warm-up (font loading happens once
per process). Each format is also timed with a one-item notice in the same run, and the
ratio to it is printed, so results compare across machines. Nothing here passes or fails.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

try:
    import phonghop  # noqa: F401
except ImportError:  # run from a checkout without PYTHONPATH=server
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "server"))

from phonghop.demo.notices import PARTY_BODY, PASSED_VOTE, STATE_BODY, sample_record
from phonghop.domain.notice import NoticeFormat, NoticeSettings, draft_notice, issue_notice
from phonghop.notices import build_document, write_docx, write_pdf

BODIES = {NoticeFormat.PARTY: PARTY_BODY, NoticeFormat.STATE: STATE_BODY}


def _median_ms(run: Callable[[], object], repeat: int) -> float:
    run()  # warm-up
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def measure(fmt: NoticeFormat, items: int, repeat: int) -> dict[str, Any]:
    """Median milliseconds of each stage, the total, and the sizes of the files."""
    body = BODIES[fmt]
    settings = NoticeSettings.defaults(fmt)
    settings = NoticeSettings.from_dict({**settings.to_dict(), "include_votes": True})
    record = sample_record(items, votes=(PASSED_VOTE,), state=fmt is NoticeFormat.STATE)
    issued = date(2026, 2, 20)

    def draft() -> Any:
        return issue_notice(draft_notice(record, body, settings, issued), 127, issued)

    notice = draft()
    doc = build_document(notice, body, settings)
    pdf, docx = write_pdf(doc), write_docx(doc)
    stages = {
        "draft_ms": _median_ms(draft, repeat),
        "layout_ms": _median_ms(lambda: build_document(notice, body, settings), repeat),
        "pdf_ms": _median_ms(lambda: write_pdf(doc), repeat),
        "docx_ms": _median_ms(lambda: write_docx(doc), repeat),
    }

    def everything() -> None:
        d = draft()
        laid_out = build_document(d, body, settings)
        write_pdf(laid_out)
        write_docx(laid_out)

    total = _median_ms(everything, repeat)
    return {
        "format": fmt.value,
        "items": items,
        "points": len(notice.points),
        **{k: round(v, 2) for k, v in stages.items()},
        "total_ms": round(total, 2),
        "pdf_bytes": len(pdf),
        "docx_bytes": len(docx),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--items", type=int, default=20, help="agenda items in the meeting (default 20)")
    parser.add_argument("--repeat", type=int, default=20, help="timed runs per measure (default 20)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args(argv)
    results = []
    for fmt in NoticeFormat:
        baseline = measure(fmt, 1, args.repeat)
        row = measure(fmt, args.items, args.repeat)
        row["baseline_total_ms"] = baseline["total_ms"]
        row["ratio_to_one_item"] = round(row["total_ms"] / baseline["total_ms"], 2)
        results.append(row)
    if args.json:
        print(json.dumps({"python": sys.version.split()[0], "results": results}, indent=2))
        return 0
    columns = ("format", "items", "points", "draft_ms", "layout_ms", "pdf_ms", "docx_ms", "total_ms")
    print(" ".join(f"{c:>10}" for c in (*columns, "x 1 item")))
    for row in results:
        print(" ".join(f"{row[c]!s:>10}" for c in columns), f"{row['ratio_to_one_item']:>10}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
