"""python -m repro: see repro.cli."""
from .cli import main

raise SystemExit(main())
