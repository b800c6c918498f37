"""What is said about each thread: its name and keywords, its cited summary, the run's
key points, the links between threads and the map of posts."""
