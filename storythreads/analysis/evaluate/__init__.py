"""Scoring against gold: threads (BCubed, ARI, AMI, the worst merges and splits) and
attributions (quotes and speakers)."""
