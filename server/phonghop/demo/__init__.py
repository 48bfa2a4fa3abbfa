"""The demo (``phonghop demo``, the README's first command): a body with its people, a
meeting today with sample documents, a demo signer, and the sample notice records the
notice tests and benchmarks draft from. Everything in it is invented and says so."""

from __future__ import annotations

from phonghop.demo.seed import (
    Demo,
    demo_certificate,
    demo_certificate_path,
    demo_start,
    print_demo,
    seed_demo,
)

__all__ = ["Demo", "demo_certificate", "demo_certificate_path", "demo_start", "print_demo", "seed_demo"]
