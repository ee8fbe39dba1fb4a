"""cycles of the administration: views and services."""
