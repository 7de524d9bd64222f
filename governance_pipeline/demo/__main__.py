import sys

from governance_pipeline.demo.run import main

sys.exit(main())
