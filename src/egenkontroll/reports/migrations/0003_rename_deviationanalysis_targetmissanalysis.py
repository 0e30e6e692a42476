"""A committee report's figures that miss their target are *target misses*, not deviations.

"Deviation" is kept for the deviations app (avvikelser and lex Sarah). The analysis model is
renamed, and the fastställda documents name their list `target_misses` instead of `deviations`:
only the key is renamed, every figure, trend and analysis in it stays as it was fastställd.
"""

from django.db import migrations

OLD, NEW = "deviations", "target_misses"


def rename_key(apps, old: str, new: str) -> None:
    report_model = apps.get_model("reports", "MonthlyReport")
    for report in report_model.objects.filter(frozen__isnull=False):
        if old in report.frozen:
            report.frozen = {(new if key == old else key): value for key, value in report.frozen.items()}
            report.save(update_fields=["frozen"])


def forward(apps, schema_editor):
    rename_key(apps, OLD, NEW)


def backward(apps, schema_editor):
    rename_key(apps, NEW, OLD)


class Migration(migrations.Migration):

    dependencies = [
        ("reports", "0002_deviationanalysis_author_role"),
    ]

    operations = [
        migrations.RenameModel(old_name="DeviationAnalysis", new_name="TargetMissAnalysis"),
        migrations.RunPython(forward, backward),
    ]
