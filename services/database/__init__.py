"""Database plumbing: how a request's transaction begins, batches its statements and commits, per dialect."""
