"""``python -m simulation.cli``: the same as the ``alliance-sim`` command."""

import sys

from simulation.cli.main import main

sys.exit(main())
