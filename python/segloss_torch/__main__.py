"""`python -m segloss_torch`: the runner segloss starts (see runner.py)."""
from .runner import main

main()
