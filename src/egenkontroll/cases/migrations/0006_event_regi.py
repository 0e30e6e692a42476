# Issue 16: own vs purchased placements (egen regi / köpt), an optional interchange column.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0005_staffing'),
    ]

    operations = [
        migrations.AddField(
            model_name='event',
            name='regi',
            field=models.CharField(blank=True, max_length=32, null=True),
        ),
    ]
