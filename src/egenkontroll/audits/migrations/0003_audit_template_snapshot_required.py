"""Every audit has its template snapshot (filled by 0002): the column is required from now on."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("audits", "0002_audit_template_snapshot"),
    ]

    operations = [
        migrations.AlterField(model_name="audit", name="template_snapshot", field=models.JSONField()),
    ]
