"""`python -m core.data list | fetch NAME | fetch-all`: see core/data/files.py."""

import sys

from core.data.files import main

sys.exit(main())
