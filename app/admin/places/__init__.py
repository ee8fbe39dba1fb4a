"""places of the administration: views and services."""
