"""The analysis stages: ingest posts, segment them, cluster them into threads, label them."""
