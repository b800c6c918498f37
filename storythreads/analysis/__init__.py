"""Posts -> threads and what is said about them, by job: ``ingest`` (files in, posts out),
``threading``, ``describe``, ``language``, ``compare`` and ``evaluate``."""
