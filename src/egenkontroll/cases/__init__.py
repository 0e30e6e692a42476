"""Case data in the database: org units, caseworkers, persons, cases, events, obligations, import runs."""
