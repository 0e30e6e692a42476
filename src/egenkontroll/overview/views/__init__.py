"""The pages, one module each; `start` sends a user to the page their role starts on."""
