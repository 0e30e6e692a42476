"""The operations tests reuse the import tests' throwaway databases and fixed pseudonym key."""

from tests.cases.conftest import database_url, postgres_url, pseudonym_key  # noqa: F401
