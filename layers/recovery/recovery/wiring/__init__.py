"""The composition root: what each function needs, built lazily from typed settings."""
