"""API tests use the access tests' city and users (fast password hashing, fresh snapshot)."""

from tests.webfixtures import fast_password_hasher, fresh_snapshot  # noqa: F401  (autouse fixtures)
