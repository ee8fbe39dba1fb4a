"""audit of the administration: views and services."""
