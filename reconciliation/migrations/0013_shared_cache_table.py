"""The shared cache's table (allauth's login and TOTP rate limits) when there is no Redis:
created wherever migrate runs — deployments, the demo, the test databases and the benches."""

from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps, schema_editor):  # type: ignore[no-untyped-def]
    # Idempotent, and a no-op for a Redis cache (REDIS_URL).
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [
        ("reconciliation", "0012_membership_digest"),
    ]

    operations = [migrations.RunPython(create_cache_table, migrations.RunPython.noop)]
