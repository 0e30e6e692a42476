"""The Django project: settings (from the environment only), URLs, WSGI."""
