"""Pull delivery: the inbox agencies list, long-poll, fetch from and acknowledge."""
