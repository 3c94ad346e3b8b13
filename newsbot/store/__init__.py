"""The article store: models, engine, migrations and repositories."""
