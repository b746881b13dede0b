"""``python -m wheelshim``."""

from __future__ import annotations

import sys

from wheelshim._cli import main

if __name__ == "__main__":
    sys.exit(main())
