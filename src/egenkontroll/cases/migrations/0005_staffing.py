"""Issue 16: the caseworker's employment form and the optional staffing table (posts per unit)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0004_importrun_retired'),
    ]

    operations = [
        migrations.AddField(
            model_name='caseworker',
            name='employment',
            field=models.CharField(blank=True, max_length=32, null=True),
        ),
        migrations.CreateModel(
            name='Staffing',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('start_date', models.DateField()),
                ('end_date', models.DateField(blank=True, null=True)),
                ('posts', models.IntegerField()),
                ('unit', models.ForeignKey(blank=True, db_column='unit_id', db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='cases.orgunit', to_field='unit_id')),
            ],
            options={
                'verbose_name': 'bemanning',
                'verbose_name_plural': 'bemanning',
            },
        ),
    ]
