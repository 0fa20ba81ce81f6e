"""`python -m mojaloop_perf.values_check [scenario …]`: one line per release; exit 1 on a finding."""

import sys

from mojaloop_perf.values_check.releases import main

sys.exit(main())
