"""The access log refuses UPDATE and DELETE in the database itself, and the chain's head row exists.

PostgreSQL: row triggers raise on UPDATE or DELETE of log rows, and on DELETE of the head or an
UPDATE that moves it backwards. (TRUNCATE, which Django's test flush uses, is a table owner's
privilege and is not covered; the application's database role should not own the tables.)
SQLite: UPDATE triggers only — Django's test flush empties tables with DELETE.
"""

from django.db import migrations

LOG_TABLES = ("access_accesslog", "access_accesslogcase")

POSTGRES_FORWARD = [
    """
    CREATE OR REPLACE FUNCTION access_log_append_only() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION 'åtkomstloggen är skrivskyddad (% på %)', TG_OP, TG_TABLE_NAME;
    END;
    $$ LANGUAGE plpgsql
    """,
    """
    CREATE OR REPLACE FUNCTION access_log_head_forward() RETURNS trigger AS $$
    BEGIN
        IF TG_OP = 'DELETE' OR NEW.seq < OLD.seq THEN
            RAISE EXCEPTION 'åtkomstloggens slut kan inte flyttas bakåt eller tas bort';
        END IF;
        RETURN NEW;
    END;
    $$ LANGUAGE plpgsql
    """,
    *(
        f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION access_log_append_only()"
        for table in LOG_TABLES
    ),
    "CREATE TRIGGER access_accessloghead_forward BEFORE UPDATE OR DELETE ON access_accessloghead "
    "FOR EACH ROW EXECUTE FUNCTION access_log_head_forward()",
]
POSTGRES_BACKWARD = [
    *(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}" for table in LOG_TABLES),
    "DROP TRIGGER IF EXISTS access_accessloghead_forward ON access_accessloghead",
    "DROP FUNCTION IF EXISTS access_log_head_forward()",
    "DROP FUNCTION IF EXISTS access_log_append_only()",
]
SQLITE_FORWARD = [
    f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
    "BEGIN SELECT RAISE(ABORT, 'åtkomstloggen är skrivskyddad'); END"
    for table in LOG_TABLES
]
SQLITE_BACKWARD = [f"DROP TRIGGER IF EXISTS {table}_no_update" for table in LOG_TABLES]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, ()):
            schema_editor.execute(statement, params=None)

    return run


def create_head(apps, schema_editor):
    head = apps.get_model("access", "AccessLogHead")
    head.objects.using(schema_editor.connection.alias).get_or_create(pk=1, defaults={"seq": 0, "hash": "0" * 64})


class Migration(migrations.Migration):
    dependencies = [("access", "0001_initial")]

    operations = [
        migrations.RunPython(create_head, migrations.RunPython.noop),
        migrations.RunPython(
            _run({"postgresql": POSTGRES_FORWARD, "sqlite": SQLITE_FORWARD}),
            _run({"postgresql": POSTGRES_BACKWARD, "sqlite": SQLITE_BACKWARD}),
        ),
    ]
