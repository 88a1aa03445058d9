"""``python -m simnet``: the same command line as ``simnet``."""

import sys

from simnet.cli import main

if __name__ == "__main__":
    sys.exit(main())
