"""edXML as data: parse bytes into typed values, validate them, build bytes from values."""
