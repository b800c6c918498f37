"""Posts -> threads: segments, the similarity of two posts (cosine, words and time),
clustering, `also` membership, thread identity across runs and a run's working set."""
