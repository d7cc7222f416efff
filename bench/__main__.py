"""`python -m bench [--quick] [--skip ...]`."""

import sys

from .run import main

sys.exit(main())
