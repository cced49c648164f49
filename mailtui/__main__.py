import sys

from mailtui.cli import main

sys.exit(main())
