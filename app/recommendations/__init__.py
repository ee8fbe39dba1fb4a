"""Recommendations followed up: the municipality answers them, the next cycle's inspector
judges them, the report and the dashboard count them."""
