"""``python -m funnel_lib``: the same as the ``funnel`` command."""

import sys

from funnel_lib.cli import main

if __name__ == "__main__":
    sys.exit(main())
