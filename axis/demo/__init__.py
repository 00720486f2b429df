"""``axis serve --demo``: demo agencies and live traffic between them."""
