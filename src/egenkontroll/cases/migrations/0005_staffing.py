"""Issue 16: the caseworker's employment form, every caseworker period, and the optional staffing table."""

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
            name='CaseworkerPeriod',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('caseworker_id', models.CharField(db_index=True, max_length=128)),
                ('title', models.TextField(blank=True, null=True)),
                ('start_date', models.DateField(blank=True, null=True)),
                ('end_date', models.DateField(blank=True, null=True)),
                ('employment', models.CharField(blank=True, max_length=32, null=True)),
                ('unit', models.ForeignKey(blank=True, db_column='unit_id', db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='cases.orgunit', to_field='unit_id')),
            ],
            options={
                'verbose_name': 'handläggarperiod',
                'verbose_name_plural': 'handläggarperioder',
            },
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
