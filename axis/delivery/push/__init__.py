"""Push delivery: workers that claim due deliveries and POST them to agencies."""
