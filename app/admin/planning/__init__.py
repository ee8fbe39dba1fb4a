"""planning of the administration: views and services."""
