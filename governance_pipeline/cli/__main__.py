import sys

from governance_pipeline.cli import main

sys.exit(main())
