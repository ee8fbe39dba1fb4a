"""users of the administration: views and services."""
