"""Gallring of the access log: a recorded base, and PostgreSQL deleting only rows at or below it.

The append-only trigger of 0002 refused every DELETE. Now a log row (and its case-index rows)
may be deleted when its seq is at or below the newest `access_accesslogbase` row, which
gallring writes first; everything else is refused as before, and a base itself never changes.
"""

from django.db import migrations, models

POSTGRES_FORWARD = [
    """
    CREATE OR REPLACE FUNCTION access_log_append_only() RETURNS trigger AS $$
    DECLARE
        base bigint;
        row_seq bigint;
    BEGIN
        IF TG_OP = 'DELETE' THEN
            SELECT COALESCE(MAX(seq), 0) INTO base FROM access_accesslogbase;
            IF TG_TABLE_NAME = 'access_accesslog' THEN
                row_seq := OLD.seq;
            ELSE
                SELECT seq INTO row_seq FROM access_accesslog WHERE id = OLD.entry_id;
            END IF;
            IF row_seq IS NOT NULL AND row_seq <= base THEN
                RETURN OLD;
            END IF;
        END IF;
        RAISE EXCEPTION 'åtkomstloggen är skrivskyddad (% på %)', TG_OP, TG_TABLE_NAME;
    END;
    $$ LANGUAGE plpgsql
    """,
    """
    CREATE OR REPLACE FUNCTION access_log_base_fixed() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION 'åtkomstloggens gallringsgräns kan inte ändras (% på %)', TG_OP, TG_TABLE_NAME;
    END;
    $$ LANGUAGE plpgsql
    """,
    "CREATE TRIGGER access_accesslogbase_fixed BEFORE UPDATE OR DELETE ON access_accesslogbase "
    "FOR EACH ROW EXECUTE FUNCTION access_log_base_fixed()",
]
POSTGRES_BACKWARD = [
    "DROP TRIGGER IF EXISTS access_accesslogbase_fixed ON access_accesslogbase",
    "DROP FUNCTION IF EXISTS access_log_base_fixed()",
    """
    CREATE OR REPLACE FUNCTION access_log_append_only() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION 'åtkomstloggen är skrivskyddad (% på %)', TG_OP, TG_TABLE_NAME;
    END;
    $$ LANGUAGE plpgsql
    """,
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [("access", "0003_accesslog_mark_action")]

    operations = [
        migrations.CreateModel(
            name="AccessLogBase",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("seq", models.BigIntegerField(unique=True)),
                ("hash", models.CharField(max_length=64)),
                ("removed", models.IntegerField()),
                ("at", models.DateTimeField()),
            ],
            options={
                "verbose_name": "åtkomstloggens gallringsgräns",
                "verbose_name_plural": "åtkomstloggens gallringsgränser",
            },
        ),
        migrations.RunPython(_run(POSTGRES_FORWARD), _run(POSTGRES_BACKWARD)),
    ]
