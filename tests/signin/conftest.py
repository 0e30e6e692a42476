"""Sign-in tests create users: hash their passwords with a fast hasher (test only)."""

from tests.webfixtures import fast_password_hasher  # noqa: F401  (autouse fixtures)
