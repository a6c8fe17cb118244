"""The archive's Alembic migrations: ``env.py`` and ``versions/`` (loaded by Alembic from their files)."""
