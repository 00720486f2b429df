"""The relay road: deliveries to recipients beyond a peer axis, carried by hops."""
