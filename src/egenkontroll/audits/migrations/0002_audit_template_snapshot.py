"""Audit.template_snapshot: the template stored with each audit, filled for existing audits.

Existing audits get the template of the current templates file. An audit whose template is no
longer in the file cannot be filled honestly: the migration stops and names it, so the file
(or EGK_AUDIT_TEMPLATES_FILE) can be restored before migrating again. The column becomes
required in 0003 (a schema change after a data change in one migration can fail on PostgreSQL).
"""

from django.db import migrations, models


def fill_snapshots(apps, schema_editor):
    from egenkontroll.audits.frozen_template import template_json
    from egenkontroll.core.audits import load_templates

    Audit = apps.get_model("audits", "Audit")
    audits = list(Audit.objects.using(schema_editor.connection.alias).filter(template_snapshot__isnull=True))
    if not audits:
        return
    templates = load_templates()
    missing = sorted({a.template_id for a in audits if a.template_id not in templates})
    if missing:
        raise RuntimeError(
            "Granskningsmallarna saknas i mallfilen men används av sparade granskningar: "
            f"{', '.join(missing)}. Lägg tillbaka dem i filen och kör migreringen igen."
        )
    for audit in audits:
        audit.template_snapshot = template_json(templates[audit.template_id])
        audit.save(update_fields=["template_snapshot"])


class Migration(migrations.Migration):

    dependencies = [
        ("audits", "0001_initial"),
    ]

    operations = [
        migrations.AddField(model_name="audit", name="template_snapshot", field=models.JSONField(null=True)),
        migrations.RunPython(fill_snapshots, migrations.RunPython.noop),
    ]
