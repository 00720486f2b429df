"""``axis bench``: the whole road measured beside the raw cost of its unavoidable work."""
