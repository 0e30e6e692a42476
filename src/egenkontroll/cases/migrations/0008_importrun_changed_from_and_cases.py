from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("cases", "0007_population"),
    ]

    operations = [
        migrations.AddField(
            model_name="importrun",
            name="changed_from",
            field=models.DateField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="importrun",
            name="changed_cases",
            field=models.JSONField(blank=True, null=True),
        ),
    ]
