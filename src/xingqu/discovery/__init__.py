"""Discovery: the behaviour log, profiles, retrieval, ranking and the feed."""
