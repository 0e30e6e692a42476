"""The bedömning of a lex Sarah report: which outcome, when, and by which role.

Existing rows keep their meaning: is_serious = true becomes the outcome "allvarligt" (the old
form's "ja" covered an allvarligt missförhållande or a påtaglig risk for one, so the stricter
reading is kept), false becomes "ej_allvarligt". The day and the role of an old judgement were
never recorded; they stay empty, so no IVO time limit is counted for such a row.
"""

from django.db import migrations, models


def outcome_from_is_serious(apps, schema_editor):
    deviation = apps.get_model("deviations", "Deviation")
    deviation.objects.filter(is_serious=True).update(outcome="allvarligt")
    deviation.objects.filter(is_serious=False).update(outcome="ej_allvarligt")


class Migration(migrations.Migration):
    dependencies = [("deviations", "0001_initial")]

    operations = [
        migrations.AddField("deviation", "outcome", models.CharField(blank=True, default="", max_length=32)),
        migrations.AddField("deviation", "judged_on", models.DateField(blank=True, null=True)),
        migrations.AddField("deviation", "judged_by_role", models.CharField(blank=True, default="", max_length=32)),
        migrations.RunPython(outcome_from_is_serious, migrations.RunPython.noop),
    ]
