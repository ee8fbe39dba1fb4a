"""The municipality's own pages: its evaluations, its declarations, its finals and their
recommendations."""
