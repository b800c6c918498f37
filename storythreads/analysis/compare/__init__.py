"""Comparing outlets over one run's threads: coverage, who first, framing, voices,
figures, attention, and outlet groups."""
