"""``python -m mmhar_lite ...`` runs the ``mmhar`` command (``torchrun ... -m mmhar_lite pretrain`` needs it)."""
import sys

from mmhar_lite.cli import main

if __name__ == "__main__":
    sys.exit(main())
