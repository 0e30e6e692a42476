"""Avvikelser och lex Sarah: a register of deviations in the service's own work, followed to closure."""
