"""python -m pipeline: the same as the `clinics` command."""
from __future__ import annotations

import sys

from pipeline.cli import main

sys.exit(main())
