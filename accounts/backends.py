"""The sign-in backend: Django's ModelBackend, with the per-request user read written out."""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ValidationError
from django.db import connection


class PortalModelBackend(ModelBackend):
    """Every signed-in request reads its user fresh (a deactivation or password change counts on the
    next request, ASVS 7.4.1), so this read runs on every page: one written-out statement, as
    compiling the ORM's get() cost more here than PostgreSQL took to answer (docs/performance.md).
    Kept for the bench row "Subordinates Search Results, 20,000 subordinates" (>= 0.10 x the
    framework floor), which sits at its edge; every other page gains the same."""

    def get_user(self, user_id):
        User = get_user_model()  # noqa: N806
        try:
            pk = User._meta.pk.to_python(user_id)
        except ValidationError:
            return None
        fields = User._meta.concrete_fields
        columns = ", ".join(f.column for f in fields)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {columns} FROM {User._meta.db_table} WHERE {User._meta.pk.column} = %s", [pk])  # noqa: S608
            row = cursor.fetchone()
        if row is None:
            return None
        user = User.from_db(connection.alias, [f.attname for f in fields], row)
        return user if self.user_can_authenticate(user) else None
