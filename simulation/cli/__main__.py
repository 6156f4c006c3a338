"""``python -m simulation.cli``: the same as the ``alliance-sim`` command."""

import sys

from simulation.cli.app import main

sys.exit(main())
