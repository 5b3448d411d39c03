"""``python -m descent.sweep``: run the sweep and write its results file."""

import sys

from .runner import main

sys.exit(main())
