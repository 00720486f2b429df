"""The HTTP surfaces: thin adapters that authenticate, parse and map errors.

Every decision is made in ``axis``; these modules only translate HTTP.
"""
