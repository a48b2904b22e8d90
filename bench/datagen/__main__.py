"""`python -m bench.datagen [--scale full|small|tiny] [--force]` on the DATABASE_URL database."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", default="full", choices=["full", "small", "tiny"])
    parser.add_argument("--force", action="store_true", help="regenerate even when current")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
    import django

    django.setup()
    from bench.datagen import ensure_dataset, generate

    if args.force:
        generate(args.scale)
    else:
        ensure_dataset(args.scale)


if __name__ == "__main__":
    main()
